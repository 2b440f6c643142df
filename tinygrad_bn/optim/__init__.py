"""Optimizers with PyTorch's names, defaults and update rules.

>>> from tinygrad_bn import nn, optim, randn
>>> model = nn.Linear(3, 1)
>>> optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> loss = (model(randn(8, 3)) ** 2).mean()
>>> loss.backward()
>>> optimizer.step()
>>> optimizer.zero_grad()
>>> model.weight.grad is None
True

Embeddings with ``sparse=True`` take :class:`SparseAdam`, which moves only the rows
looked up; SGD takes their gradients too, Adam refuses them, as in PyTorch.

Learning-rate schedules are in :mod:`tinygrad_bn.optim.lr_scheduler`, weight averaging (SWA, EMA)
in :mod:`tinygrad_bn.optim.swa_utils`, as in PyTorch.
"""

from tinygrad_bn.optim import lr_scheduler, swa_utils
from tinygrad_bn.optim.adadelta import Adadelta
from tinygrad_bn.optim.adagrad import Adagrad
from tinygrad_bn.optim.adam import Adam, AdamW
from tinygrad_bn.optim.adamax import Adamax
from tinygrad_bn.optim.asgd import ASGD
from tinygrad_bn.optim.lbfgs import LBFGS
from tinygrad_bn.optim.nadam import NAdam
from tinygrad_bn.optim.optimizer import Optimizer
from tinygrad_bn.optim.radam import RAdam
from tinygrad_bn.optim.rmsprop import RMSprop
from tinygrad_bn.optim.rprop import Rprop
from tinygrad_bn.optim.sgd import SGD
from tinygrad_bn.optim.sparse_adam import SparseAdam

__all__ = ["ASGD", "LBFGS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer", "RAdam",
           "RMSprop", "Rprop", "SparseAdam", "lr_scheduler", "swa_utils"]
