"""fkdrift: quantum ground states by Feynman–Kac drift learning.

Importing fkdrift enables JAX's float64 mode (as NetKet does): walkers, path integrals and
estimators are accumulated in double precision; the drift network runs in
`Config.network_dtype`.
"""

import jax

jax.config.update("jax_enable_x64", True)

from ._version import __version__  # noqa: E402
from .config import Config  # noqa: E402
from .errors import FkdriftError  # noqa: E402
from .result import Result  # noqa: E402
from .result import load_result as load  # noqa: E402
from .solver import reestimate, reevaluate, resume, solve  # noqa: E402
from .system import System  # noqa: E402

__all__ = [
    "Config",
    "FkdriftError",
    "Result",
    "System",
    "__version__",
    "load",
    "reestimate",
    "reevaluate",
    "resume",
    "solve",
]
