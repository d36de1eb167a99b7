"""Shared pytest setup: double precision for every test (importing fkdrift does it too),
and how to run the installed command line."""

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import jax

jax.config.update("jax_enable_x64", True)

_SCRIPT = shutil.which("fkdrift", path=str(Path(sys.executable).parent)) or shutil.which(
    "fkdrift")
FKDRIFT = [_SCRIPT] if _SCRIPT else [sys.executable, "-c", "from fkdrift._cli import main; main()"]
"""argv prefix that runs `fkdrift` as a user would (a subprocess)."""

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_benchmark(name: str) -> ModuleType:
    """benchmarks/NAME.py as a module (benchmarks/ is not a package), imported once."""
    module_name = f"fkdrift_benchmark_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def ou_chunks(system, a: float, config):
    """A fixed Ornstein–Uhlenbeck drift v = −a·r (the default network with its last layer
    at zero and confinement a; for a gradient drift log ψ = −a·r²/2) and what `solve`
    would build for it: (params, chunk, reweighting chunk, boundary function of the
    reweighted stage: the drift's own log ψ, or None for a free drift, whose boundary
    function is fitted in the variational stage)."""
    import jax.numpy as jnp

    from fkdrift._drift import _softplus_inverse, init_drift_params, trial_log_psi
    from fkdrift._evaluation import TrialFunction, make_evaluation_chunk
    from fkdrift._guide import make_drift_model

    model = make_drift_model(system, config.network, config.drift_form)
    params = init_drift_params(model, jax.random.PRNGKey(0), system)
    layer = params["params"].get("log_psi", params["params"])
    layer["confinement"] = jnp.full_like(layer["confinement"], _softplus_inverse(a))
    chunk = make_evaluation_chunk(model, system.potential, config.eval_dts, config.chunk_time)
    rw_chunk = make_evaluation_chunk(model, system.potential, config.eval_dts,
                                     config.resample_interval)
    log_psi = trial_log_psi(model)
    return params, chunk, rw_chunk, log_psi and TrialFunction(log_psi, params)
