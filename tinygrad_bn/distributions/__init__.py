"""Probability distributions with PyTorch's names, arguments and semantics: what
``torch.distributions`` is in a script after ``import tinygrad_bn as torch``.

Families: :class:`Normal`, :class:`LogNormal`, :class:`Uniform`, :class:`Exponential`,
:class:`Laplace`, :class:`Gumbel`, :class:`Cauchy`, :class:`HalfNormal`, :class:`HalfCauchy`,
:class:`StudentT`, :class:`Gamma`, :class:`Chi2`, :class:`Beta`, :class:`Dirichlet`,
:class:`Weibull`, :class:`VonMises`, :class:`Pareto`, :class:`InverseGamma`, :class:`Kumaraswamy`,
:class:`FisherSnedecor`, :class:`GeneralizedPareto`, :class:`LogisticNormal`, :class:`MultivariateNormal`,
:class:`LowRankMultivariateNormal`, :class:`LKJCholesky`, :class:`Wishart`,
:class:`Bernoulli`, :class:`Geometric`, :class:`Binomial`, :class:`NegativeBinomial`, :class:`Poisson`,
:class:`Categorical`, :class:`OneHotCategorical`, :class:`OneHotCategoricalStraightThrough`,
:class:`RelaxedBernoulli`, :class:`RelaxedOneHotCategorical`, :class:`ContinuousBernoulli`; the
:class:`ExponentialFamily` base of the exponential families, with their entropy and KL divergences
from the log-normalizer;
:class:`Independent` to read batch axes as event axes, and
:class:`MixtureSameFamily` of K distributions of one family weighted by a :class:`Categorical`;
:class:`TransformedDistribution` of a distribution pushed through :mod:`transforms`, and
:func:`biject_to` and :func:`transform_to` for the transform onto a constraint;
:func:`kl_divergence` between
two of one family, and :func:`register_kl` for more pairs. Log-probabilities,
entropies, KL divergences and reparameterized samples (``rsample``) are built from
the library's ops, so gradients flow from them to the parameters.

Samples come from the library's own seeded generator (:func:`tinygrad_bn.manual_seed`,
the one behind ``randn`` and ``rand``): two runs after the same seed draw the same
numbers, but not the numbers PyTorch draws after that seed, except the classes of
:class:`Categorical` and :class:`OneHotCategorical`, drawn by :func:`tinygrad_bn.multinomial`
as PyTorch draws them and so PyTorch's after the same ``manual_seed``.

>>> import tinygrad_bn as torch
>>> from tinygrad_bn.distributions import Categorical, Normal
>>> generator = torch.manual_seed(0)
>>> first = Normal(torch.zeros(3), 1.0).sample()
>>> generator = torch.manual_seed(0)
>>> torch.equal(first, Normal(torch.zeros(3), 1.0).sample())
True
>>> Categorical(logits=torch.zeros(4)).entropy().item() == torch.tensor(4.0).log().item()
True
"""

from tinygrad_bn.distributions import constraint_registry, constraints, transforms, utils
from tinygrad_bn.distributions.bernoulli import Bernoulli
from tinygrad_bn.distributions.beta import Beta
from tinygrad_bn.distributions.binomial import Binomial
from tinygrad_bn.distributions.categorical import Categorical
from tinygrad_bn.distributions.cauchy import Cauchy
from tinygrad_bn.distributions.chi2 import Chi2
from tinygrad_bn.distributions.constraint_registry import biject_to, transform_to
from tinygrad_bn.distributions.dirichlet import Dirichlet
from tinygrad_bn.distributions.distribution import Distribution
from tinygrad_bn.distributions.exponential import Exponential
from tinygrad_bn.distributions.gamma import Gamma
from tinygrad_bn.distributions.geometric import Geometric
from tinygrad_bn.distributions.gumbel import Gumbel
from tinygrad_bn.distributions.half_cauchy import HalfCauchy
from tinygrad_bn.distributions.half_normal import HalfNormal
from tinygrad_bn.distributions.independent import Independent
from tinygrad_bn.distributions.kl import kl_divergence, register_kl
from tinygrad_bn.distributions.laplace import Laplace
from tinygrad_bn.distributions.log_normal import LogNormal
from tinygrad_bn.distributions.low_rank_multivariate_normal import LowRankMultivariateNormal
from tinygrad_bn.distributions.mixture_same_family import MixtureSameFamily
from tinygrad_bn.distributions.multivariate_normal import MultivariateNormal
from tinygrad_bn.distributions.negative_binomial import NegativeBinomial
from tinygrad_bn.distributions.normal import Normal
from tinygrad_bn.distributions.one_hot_categorical import OneHotCategorical
from tinygrad_bn.distributions.poisson import Poisson
from tinygrad_bn.distributions.relaxed_bernoulli import RelaxedBernoulli
from tinygrad_bn.distributions.relaxed_categorical import RelaxedOneHotCategorical
from tinygrad_bn.distributions.student_t import StudentT
from tinygrad_bn.distributions.transformed_distribution import TransformedDistribution
from tinygrad_bn.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    identity_transform,
)
from tinygrad_bn.distributions.uniform import Uniform
from tinygrad_bn.distributions.von_mises import VonMises
from tinygrad_bn.distributions.weibull import Weibull

__all__ = [
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet", "Distribution", "Exponential",
    "Gamma", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Independent", "Laplace", "LogNormal",
    "LowRankMultivariateNormal", "MixtureSameFamily", "MultivariateNormal", "NegativeBinomial", "Normal",
    "OneHotCategorical", "Poisson", "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT",
    "TransformedDistribution", "Uniform", "VonMises", "Weibull",
    "AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform", "IndependentTransform",
    "LowerCholeskyTransform", "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform", "SigmoidTransform",
    "SoftmaxTransform", "SoftplusTransform", "StickBreakingTransform", "TanhTransform", "Transform",
    "identity_transform",
    "biject_to", "constraint_registry", "constraints", "kl_divergence", "register_kl", "transform_to", "transforms",
    "utils",
]

from tinygrad_bn.distributions.multinomial import Multinomial  # noqa: E402

__all__ += ["Multinomial"]

from tinygrad_bn.distributions.continuous_bernoulli import ContinuousBernoulli  # noqa: E402
from tinygrad_bn.distributions.exp_family import ExponentialFamily  # noqa: E402
from tinygrad_bn.distributions.fishersnedecor import FisherSnedecor  # noqa: E402
from tinygrad_bn.distributions.generalized_pareto import GeneralizedPareto  # noqa: E402
from tinygrad_bn.distributions.inverse_gamma import InverseGamma  # noqa: E402
from tinygrad_bn.distributions.kumaraswamy import Kumaraswamy  # noqa: E402
from tinygrad_bn.distributions.lkj_cholesky import LKJCholesky  # noqa: E402
from tinygrad_bn.distributions.logistic_normal import LogisticNormal  # noqa: E402
from tinygrad_bn.distributions.one_hot_categorical import OneHotCategoricalStraightThrough  # noqa: E402
from tinygrad_bn.distributions.pareto import Pareto  # noqa: E402
from tinygrad_bn.distributions.transforms import (  # noqa: E402
    CatTransform,
    CorrCholeskyTransform,
    CumulativeDistributionTransform,
    StackTransform,
)
from tinygrad_bn.distributions.wishart import Wishart  # noqa: E402

__all__ += ["ContinuousBernoulli", "ExponentialFamily", "FisherSnedecor", "GeneralizedPareto", "InverseGamma",
            "Kumaraswamy", "LKJCholesky", "LogisticNormal", "OneHotCategoricalStraightThrough", "Pareto", "Wishart",
            "CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform", "StackTransform"]
