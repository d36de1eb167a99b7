"""The low-level namespace: the numerical building blocks behind `fkdrift.solve`.

`import fkdrift` gives the public API (`solve`, `Config`, `System`, `Result`, ...). This
module gives the pieces that benchmarks, studies of the method and custom pipelines
assemble themselves; every other module of the package is private (`fkdrift._name`) and may
change without notice. Shapes: walkers r are (batch, particles, dim); a chain-batched
population is (K, W, particles, dim), one chain per evaluation time step.

Guides and drift networks
    `make_guide(system, network, drift_form)` -> `Guide` (the drift's model, its log ψ
    and cusps where it has them, its training update), chosen by name from `GUIDES`;
    `make_drift_model(system, network, drift_form)` -> its flax module v_θ(r);
    `init_drift_params(model, key, system)`, `count_parameters(params)`,
    `trial_log_psi(model)` (a gradient drift's log ψ(params, r), None for a free drift).
Fermions (docs/method.md, "Fermions: fixed node")
    `SlaterJastrow` (the antisymmetric guide's network), `oscillator_levels(n, dim)` and
    `oscillator_energy(spins, dim, omega)` (the filled shells of a harmonic trap),
    `limited_drift` (the proposal drift near a node).
Training (jitted train steps and the `train` loop; docs/method.md §2)
    `TrainState`, `init_walkers`, `make_optimizer`, `make_train_step` (path-space loss ℓ_T/T),
    `exponential_decay` (a learning-rate schedule for `train`),
    `make_local_energy_step` (gradient drifts), `train` (the loop with its stopping rule).
Window integration
    `integrate_window`, `Window`, `PotentialFn`.
Evaluation (docs/method.md §3–§4)
    `make_evaluation_chunk`, `evaluate` (variational chains), `reweighted_energy`
    (guided, resampled populations, kept on the device), `TrialFunction` (its guide:
    a pure log-trial function and its parameters), `make_guided_dmc_chunk`
    (Metropolis-adjusted moves of a log ψ guide's populations), `langevin_moves`
    (Metropolis-adjusted Langevin steps towards |ψ|² of walkers from `gradient_walkers`),
    `local_energies` (E_L = V − ½|∇ log ψ|² − ½Δ log ψ).
Observables and figures
    `densities(samples, bins)`, `plot_result(result, stem)`.
Devices and processes
    `walker_mesh()` (the one-axis mesh over every device), `shard_walkers`,
    `place_replicated`, `agree()` (one agreement of the processes of a run: process 0's
    clock and their interrupts; a collective every process must call).
Compilation
    `use_compile_cache(setting)`: keep compiled steps on disk as the command line does
    (a directory, "off", or None for ~/.cache/fkdrift/jax).
"""

from ._compile_cache import use_compile_cache
from ._determinant import SlaterJastrow, oscillator_energy, oscillator_levels
from ._distributed import agree
from ._drift import count_parameters, init_drift_params, trial_log_psi
from ._evaluation import TrialFunction, evaluate, make_evaluation_chunk
from ._guide import GUIDES, Guide, make_drift_model, make_guide
from ._local_energy import local_energies
from ._metropolis import (
    gradient_walkers,
    langevin_moves,
    limited_drift,
    make_guided_dmc_chunk,
)
from ._observables import densities
from ._reweighting import reweighted_energy
from ._sde import PotentialFn, Window, integrate_window
from ._sharding import place_replicated, shard_walkers, walker_mesh
from ._training import (
    TrainState,
    exponential_decay,
    init_walkers,
    make_local_energy_step,
    make_optimizer,
    make_train_step,
    train,
)

__all__ = [
    "GUIDES",
    "Guide",
    "PotentialFn",
    "SlaterJastrow",
    "TrainState",
    "TrialFunction",
    "Window",
    "agree",
    "count_parameters",
    "densities",
    "evaluate",
    "exponential_decay",
    "gradient_walkers",
    "init_drift_params",
    "init_walkers",
    "integrate_window",
    "langevin_moves",
    "limited_drift",
    "local_energies",
    "make_drift_model",
    "make_evaluation_chunk",
    "make_guide",
    "make_guided_dmc_chunk",
    "make_local_energy_step",
    "make_optimizer",
    "make_train_step",
    "oscillator_energy",
    "oscillator_levels",
    "place_replicated",
    "plot_result",  # noqa: F822 (loaded on first use, see __getattr__)
    "reweighted_energy",
    "shard_walkers",
    "train",
    "trial_log_psi",
    "use_compile_cache",
    "walker_mesh",
]


def __getattr__(name: str):
    """`plot_result` is imported on first use: it loads matplotlib, which nothing else
    here needs (a `potentials` module reading `oscillator_energy` must not)."""
    if name == "plot_result":
        from ._plots import plot_result

        return plot_result
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
