"""``torch.nn.modules.sparse``: embeddings, where PyTorch keeps them (the classes live
elsewhere in ``tinygrad_bn.nn``; this is the path scripts import them by)."""

# ruff: noqa: F401 - re-exports

from tinygrad_bn.nn.embedding import Embedding
from tinygrad_bn.nn.embedding_bag import EmbeddingBag
