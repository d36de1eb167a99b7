"""fkdrift: quantum ground states by Feynman–Kac drift learning.

Importing fkdrift enables JAX's float64 mode (as NetKet does): walkers, path integrals and
estimators are accumulated in double precision; the drift network runs in
`Config.network_dtype`.
"""

import jax

jax.config.update("jax_enable_x64", True)

from . import registry  # noqa: E402
from ._config import (  # noqa: E402
    Config,
    EvaluationConfig,
    NetworkConfig,
    ReweightingConfig,
    StoppingConfig,
    TrainingConfig,
)
from ._distributed import initialize as initialize_distributed  # noqa: E402
from ._distributed import is_main_process  # noqa: E402
from ._errors import FkdriftError  # noqa: E402
from ._estimate import Estimate, ReweightedEstimate, VariationalEstimate  # noqa: E402
from ._result import Result  # noqa: E402
from ._result import load_result as load  # noqa: E402
from ._solver import reestimate, reevaluate, resume, solve  # noqa: E402
from ._system import System  # noqa: E402
from ._version import __version__  # noqa: E402

__all__ = [
    "Config",
    "Estimate",
    "EvaluationConfig",
    "FkdriftError",
    "NetworkConfig",
    "Result",
    "ReweightedEstimate",
    "ReweightingConfig",
    "StoppingConfig",
    "System",
    "TrainingConfig",
    "VariationalEstimate",
    "__version__",
    "initialize_distributed",
    "is_main_process",
    "load",
    "reestimate",
    "reevaluate",
    "registry",
    "resume",
    "solve",
]
