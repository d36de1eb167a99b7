"""`solve`: train a drift, evaluate it, and package the `Result` (the imperative shell)."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, Protocol

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh
from jaxtyping import Array, PRNGKeyArray

from . import registry
from ._anytime import GUIDED_VARIATIONAL_TIME, VARIATIONAL_SHARE, Budget, training_schedule
from ._checkpoint import Checkpoint, Checkpointer, read_checkpoint
from ._config import Config, EvaluationConfig, StoppingConfig
from ._control_variates import boundary_basis
from ._diagnostics import (
    check_estimates,
    check_walkers,
    fit_warnings,
    heavy_tail_warnings,
    reweighting_warnings,
)
from ._distributed import agreement_point, process_count
from ._drift import count_parameters
from ._errors import FkdriftError
from ._estimate import ReweightedEstimate, VariationalEstimate
from ._evaluation import (
    Evaluation,
    EvaluationState,
    TrialFunction,
    evaluate,
    make_evaluation_chunk,
)
from ._guide import Guide, make_drift_model, make_guide
from ._hdf5 import rebuild_system
from ._memory import check_memory
from ._metropolis import make_guided_dmc_chunk
from ._observables import densities
from ._progress import LineProgress
from ._result import Result
from ._reweighting import Reweighted, ReweightingState, reweighted_energy
from ._sharding import check_divisible, place_replicated, shard_walkers, to_host, walker_mesh
from ._system import System
from ._training import (
    TrainState,
    init_walkers,
    make_optimizer,
    train,
)
from ._user_potential import check_source_unchanged, source_fingerprint
from ._version import __version__

VARIATIONAL = "variational, dt->0 extrapolated"
REWEIGHTED = "reweighted (drift-guided DMC), dt->0 extrapolated"
FIXED_NODE = "fixed-node "
"""Prefix of a fermion run's estimator: its walkers never cross the guide's nodes."""


class Progress(Protocol):
    """Receives progress reports (the CLI draws bars from them)."""

    def training(self, step: int, total: int, values: dict[str, float]) -> None: ...

    def evaluating(self, measured: float, planned: float, error: float) -> None: ...

    def reweighting(self, measured: float, planned: float, error: float) -> None: ...


def resolve_system(system: System | str) -> System:
    """A `System`, or the built-in of that name."""
    if isinstance(system, System):
        return system
    if isinstance(system, str):
        return registry.build(system)
    raise FkdriftError(f"solve() needs a System or a built-in name, got {type(system).__name__}")


def device_info(walkers: Array) -> dict[str, object]:
    """Which JAX backend and how many devices the run used: those its walkers: (...)
    lived on."""
    sharding = getattr(walkers, "sharding", None)
    devices = sorted(sharding.device_set if sharding else jax.devices()[:1], key=lambda d: d.id)
    return {
        "device": f"{devices[0].platform}:{getattr(devices[0], 'device_kind', '')}",
        "device_count": len(devices),
        "process_count": process_count(),
    }


def solve(
    system: System | str,
    seed: int = 0,
    config: Config | None = None,
    progress: Progress | bool | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every: float = 300.0,
) -> Result:
    """Find the ground state of `system`: train v_θ, evaluate E0 with an error bar.

    Args:
        system: a `System` or a built-in name (see `fkdrift.registry.names()`).
        seed: PRNG seed; the same seed on the same machine gives the same numbers.
        config: settings (default `Config()`).
        progress: a receiver of progress reports (see `Progress`), or True to print
            progress lines to stderr (`progress.LineProgress`).
        checkpoint: a file to keep the run's checkpoint in (see `checkpoint`): written
            every `checkpoint_every` seconds (training and evaluation stages), when
            training ends, and on Ctrl-C; `fkdrift.resume(checkpoint)` continues from
            it. It is left in place (delete it once the result is saved). None: no
            checkpoints.
    """
    if progress is True:
        progress = LineProgress()
    elif progress is False:
        progress = None
    system = resolve_system(system)
    if config is None:
        config = Config()
    if not isinstance(config, Config):
        raise FkdriftError(f"config must be a fkdrift.Config, got {type(config).__name__}")
    config = config.for_system(system)
    check_memory(system, config)  # before any work: a run that cannot fit is refused
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise FkdriftError(f"seed must be an integer from 0 to 2**63 - 1, got {seed!r}")
    return _run(system, seed, config, progress, checkpoint, checkpoint_every, None)


def resume(checkpoint: str | Path, progress: Progress | bool | None = None,
           checkpoint_every: float = 300.0, system: System | None = None) -> Result:
    """Continue the run whose checkpoint is `checkpoint` (see `solve`): training from its
    last checkpoint, or the evaluation stage it was in, chunk for chunk. A run
    without a time budget ends with the same numbers as if it had never stopped.
    system: the System again, for a potential defined in Python (built-ins and
    file:function potentials are rebuilt from the checkpoint)."""
    if progress is True:
        progress = LineProgress()
    saved = read_checkpoint(checkpoint)
    if system is None:
        check_source_unchanged(saved.meta["system"].get("source", {}),
                               saved.meta.get("source_sha256"))
        system = rebuild_system(saved.meta["system"])
    config = Config.from_dict(saved.meta["config"])
    check_memory(system, config)  # this machine may have less than the one that started it
    return _run(system, int(saved.meta["seed"]), config, progress or None, checkpoint,
                checkpoint_every, saved)


def _run(system: System, seed: int, config: Config, progress, checkpoint, checkpoint_every,
         saved: Checkpoint | None) -> Result:
    """The run itself (see `solve`); `saved`: a checkpoint to continue from."""
    stopping = config.stopping
    budget = Budget.start(stopping.time_budget, stopping.training_share, stopping.target_error)
    key_init, key_walkers, key_train, key_eval = jax.random.split(jax.random.PRNGKey(seed), 4)
    mesh = walker_mesh()
    check_divisible({"batch": config.training.batch,
                     "eval_walkers": config.evaluation.eval_walkers}, mesh)
    check_replicas(config)
    walkers = init_walkers(key_walkers, config.training.batch, system.shape,
                           config.training.init_width)
    system.check_potential(walkers)
    walkers = shard_walkers(walkers, mesh)
    keeper = None
    if checkpoint is not None:
        meta = {"seed": seed, "config": config.to_dict(), "system": system.describe(),
                "source_sha256": source_fingerprint(system.source)}
        keeper = Checkpointer(Path(checkpoint), checkpoint_every, meta,
                              saved.meta["train_time"] if saved else 0.0)

    guide = make_guide(system, config.network, config.training.drift_form)
    state, history, train_time, train_stop = _train(system, config, guide, walkers,
                                                    key_init, key_train, progress, budget,
                                                    keeper, saved)
    # a system with a known E0 has a bound state: the probe is for the others
    check_walkers("training", walkers, state.walkers,
                  potential=system.potential if system.exact_energy is None else None)
    try:
        ev, rw = estimate(system, config, guide, state.params, state.walkers, key_eval,
                          progress, budget, keeper, saved, mesh)
    except KeyboardInterrupt:
        if keeper is not None:
            keeper.write()
        raise
    result = _package(system, config, seed, state.params, history, ev, rw, train_time)
    if rw is None and config.reweighting.estimator == "reweighted" and math.isfinite(budget.total):
        result.info["warnings"].append(
            f"the time budget ({config.stopping.time_budget:g} s) was spent before the reweighted "
            "stage: E0 is the variational estimate, an upper bound; give a larger budget")
    result.info["wall_time"] = budget.elapsed()  # start (or resumption) to result
    result.info["train_stop_reason"] = train_stop
    result.info["updates"] = len(history.get("step", ()))
    result.info["rewinds"] = int(history["rewinds"][-1]) if len(history.get("rewinds", ())) else 0
    if saved is not None:
        result.info["resumed_from"] = saved.meta["phase"]
    return result


def estimate(system: System, config: Config, guide: Guide, params, walkers: Array,
             key: PRNGKeyArray, progress: Progress | None = None, budget: Budget | None = None,
             keeper: Checkpointer | None = None, saved: Checkpoint | None = None,
             mesh: Mesh | None = None) -> tuple[Evaluation, Reweighted | None]:
    """Both estimators for a drift: the variational evaluation from walkers:
    (B, particles, dim) (each a replica, tiled to config.evaluation.eval_walkers), then the
    reweighted population (where the boundary fit exists).
    budget: the run's deadlines (see `anytime`); None = no deadline. keeper: checkpoints
    the stage states as they go; saved: a checkpoint whose stage states to continue."""
    if budget is None:
        budget = Budget(time.perf_counter(), math.inf, 1.0, config.stopping.target_error)
    reweighting = config.reweighting.estimator == "reweighted"
    key_var, key_rw = jax.random.split(key)
    mesh = walker_mesh() if mesh is None else mesh
    check_divisible({"eval_walkers": config.evaluation.eval_walkers}, mesh)
    start, replicas = replicate(walkers, config.evaluation.eval_walkers)
    start = shard_walkers(start, mesh)
    gradient = guide.gradient
    moves = chain_moves(system, config, guide)
    ev = evaluate(moves.chunk, params, start, key_var, moves.evaluation,
                  variational_stopping(config.stopping, budget, reweighting and gradient),
                  control_basis(system),
                  progress.evaluating if progress is not None else None,
                  replicas=replicas,
                  deadline=budget.stage_deadline(VARIATIONAL_SHARE if reweighting else 1.0),
                  state=_saved_stage(saved, "variational", mesh),
                  on_state=_stage_keeper(keeper, "variational"),
                  order=moves.variational_order)
    finest = int(np.argmin(ev.dts))
    check_walkers("evaluation", start, ev.walkers[finest], ev.per_walker)
    rw = None
    log_trial = ev.log_trial
    if gradient:  # its own log ψ is the boundary function
        log_trial = TrialFunction(guide.log_psi, params)
    saved_rw = _saved_stage(saved, "reweighting", mesh)
    if reweighting and log_trial and saved_rw is None and budget.spent():
        reweighting = False  # a budget is a promise; `_run` warns of what it cost
    if reweighting and log_trial:
        rw = reweighted_energy(
            moves.population_chunk, params, ev.walkers, key_rw, log_trial,
            dts=moves.evaluation.eval_dts, burn_in_time=config.evaluation.burn_in_time,
            config=config.reweighting, stopping=config.stopping,
            on_chunk=progress.reweighting if progress is not None else None,
            deadline=budget.stage_deadline(1.0),
            state=saved_rw, on_state=_stage_keeper(keeper, "reweighting"),
            order=moves.reweighted_order)
        check_walkers("reweighting", ev.walkers[finest], rw.walkers[finest], rw.energies)
    check_estimates(ev.per_replica[finest],
                    None if rw is None else rw.log_weight_std,
                    0.0 if rw is None else rw.drift_sigmas,
                    1 if rw is None else rw.walkers.shape[1])
    return ev, rw


class ChainMoves(NamedTuple):
    """How both estimators' chains move: chunk: the variational stage's compiled chunk;
    population_chunk: the reweighted stage's (the same one when chunk_time equals the
    resampling interval); evaluation: the variational stage's settings with the chains'
    time steps; variational_order, reweighted_order: degrees of the dt → 0 fits (None:
    `statistics.fit_order`)."""

    chunk: Callable
    population_chunk: Callable
    evaluation: EvaluationConfig
    variational_order: int | None
    reweighted_order: int | None


def metropolis_chains(config: Config) -> bool:
    """Whether both estimators' chains are Metropolis-adjusted at `reweighted_dts` (a
    guide with a log ψ, that is a gradient drift, and reweighted_moves "metropolis")."""
    return (config.training.drift_form == "gradient"
            and config.reweighting.reweighted_moves == "metropolis")


def chain_moves(system: System, config: Config, guide: Guide) -> ChainMoves:
    """A guide with a log ψ (and reweighted_moves = "metropolis") moves by
    Metropolis-adjusted Langevin steps at `reweighted_dts` in both stages
    (`metropolis.make_guided_dmc_chunk`): the variational estimate is then the mean
    local energy over |ψ|², the same at every dt (a weighted mean over the chains, order
    0; for fermions, whose weights clip E_L near the nodes on a share that vanishes
    linearly with dt, a line), and the reweighted one is fitted linearly. A free drift
    (or "euler") moves both by the Euler chunk at eval_dts, fitted quadratically."""
    interval = config.reweighting.resample_interval
    if metropolis_chains(config):
        dts = config.reweighting.reweighted_dts

        def make(span: float) -> Callable:
            return make_guided_dmc_chunk(guide.log_psi, system.potential, dts, span)

        evaluation = dataclasses.replace(config.evaluation, eval_dts=dts)
        # clipped local energies near nodes make the mean dt-dependent (linearly)
        orders = (METROPOLIS_FIT_ORDER if system.fermions else 0, METROPOLIS_FIT_ORDER)
    else:
        def make(span: float) -> Callable:
            return make_evaluation_chunk(guide.model, system.potential, config.evaluation.eval_dts,
                                         span)

        evaluation, orders = config.evaluation, (None, None)
    chunk = make(config.evaluation.chunk_time)
    population = chunk if config.evaluation.chunk_time == interval else make(interval)
    return ChainMoves(chunk, population, evaluation, *orders)


METROPOLIS_FIT_ORDER = 1
"""Degree of the dt → 0 fit of Metropolis-adjusted populations: their growth's time-step
error is linear in dt to leading order and far smaller than the Euler chain's
(benchmarks/README.md, `guided_dmc.py`), so the fixed model is a line with one spare
degree of freedom for its χ² check over three steps."""


def _saved_stage(saved: Checkpoint | None, name: str, mesh: Mesh):
    """The checkpointed state of evaluation stage `name`, its walker arrays (walkers on
    axis 1) spread over the mesh again; None without one."""
    state = saved.stage_state(STAGES[name], name) if saved else None
    if state is None:
        return None
    return state._replace(**{f: shard_walkers(getattr(state, f), mesh, axis=1)
                             for f in WALKER_FIELDS & set(state._fields)})


WALKER_FIELDS = {"walkers", "start", "sums", "times", "noise", "f_old"}
"""Fields of the evaluation-stage states whose axis 1 runs over the walkers."""


def variational_stopping(stopping: StoppingConfig, budget: Budget,
                         guided: bool) -> StoppingConfig:
    """The variational stage's stopping rule: in an anytime run whose reweighted stage is
    guided by a gradient drift (its log ψ is the boundary function, so the variational
    stage only equilibrates the walkers and bounds E0), it measures at most
    `GUIDED_VARIATIONAL_TIME` and leaves the time to the reported estimate."""
    if not (guided and budget.anytime):
        return stopping
    return dataclasses.replace(
        stopping, max_eval_time=min(stopping.max_eval_time, GUIDED_VARIATIONAL_TIME))


STAGES = {"variational": EvaluationState, "reweighting": ReweightingState}
"""Checkpoint name of each evaluation stage -> the type of its state."""


def _stage_keeper(keeper: Checkpointer | None, stage: str):
    """on_state for an evaluation stage: remember (and periodically write) its state,
    then an agreement point (see `_training_keeper`)."""
    def on_state(state):
        if keeper is not None:
            keeper.stage(stage, state)
        agreement_point()

    return on_state


def _training_keeper(keeper: Checkpointer | None):
    """on_state for training: remember (and periodically write) the state, then an
    agreement point (the processes of a run agree on the clock and on interrupts there,
    `distributed.agreement_point`; an interrupt raised there finds the state kept)."""
    def on_state(state, rows):
        if keeper is not None:
            keeper.update(state, rows)
        agreement_point()

    return on_state


def reestimate(result: Result, seed: int = 1, config: Config | None = None,
               progress: Progress | None = None, **settings) -> Result:
    """A result's stored drift estimated again (both estimators), from its own samples.

    Nothing is trained: the new `Result` keeps the training history and parameters and
    replaces the estimates (use it to apply improved estimators to a stored drift, or
    to measure longer). config: evaluation settings (default: the result's own on the
    current default time-step grid); settings: Config fields changed on top of it, e.g.
    `reestimate(result, eval_time=60.0)`."""
    if config is None:  # the result's settings on the current evaluation grid
        grid = ("eval_dts", "chunk_time", "resample_interval")
        config = Config.from_dict({k: v for k, v in result.config.to_dict().items()
                                   if k not in grid})
    config = config.replace(**settings).for_system(result.system)
    guide = make_guide(result.system, result.config.network, result.config.training.drift_form)
    params = jax.tree_util.tree_map(jnp.asarray, result.params)
    samples = jnp.asarray(result.samples)
    order = jax.random.permutation(jax.random.PRNGKey(seed), len(samples))
    ev, rw = estimate(result.system, config, guide, params, samples[order],
                      jax.random.PRNGKey(20_000 + seed), progress=progress)
    out = _package(result.system, config, result.info.get("seed", 0), params,
                   result.history, ev, rw, result.info.get("train_time", 0.0))
    out.info["reestimated_seed"] = seed
    return out


def check_replicas(config: Config) -> None:
    """One-line FkdriftError unless the variational stage gets enough independent replicas
    (copies of distinct training walkers, min(batch, eval_walkers)) for its dt → 0 fit:
    K time steps need K + 2 (with fewer the replicas' covariance is singular and the bar
    would come out NaN)."""
    dts = (config.reweighting.reweighted_dts if metropolis_chains(config)
           else config.evaluation.eval_dts)
    replicas = min(config.training.batch, config.evaluation.eval_walkers)
    if replicas < len(dts) + 2:
        raise FkdriftError(
            f"Config.batch={config.training.batch} and "
            f"eval_walkers={config.evaluation.eval_walkers} give "
            f"{replicas} independent replica(s); the variational dt -> 0 fit over "
            f"{len(dts)} time steps needs at least {len(dts) + 2}: raise both")


def replicate(walkers: Array, n: int) -> tuple[Array, np.ndarray]:
    """n evaluation starts from walkers: (B, particles, dim), each a copy of one of them,
    and the label (n,) of the walker each copies: copies of one start are one replica
    for the error bars (they stay correlated as long as the slowest mode remembers the
    start, however long the burn-in)."""
    starts = jnp.resize(walkers, (n, *walkers.shape[1:]))
    return starts, np.arange(n) % len(walkers)


def health_warnings(ev: Evaluation, rw: Reweighted | None) -> list[str]:
    """The warnings a user must see beside the energy (see `diagnostics`)."""
    x = ev.extrapolation
    out = fit_warnings("variational", x.p_value, x.chi2, x.dof)
    out += heavy_tail_warnings("variational", ev.per_replica[int(np.argmin(ev.dts))])
    if rw is not None:
        y = rw.extrapolation
        out += fit_warnings("reweighted", y.p_value, y.chi2, y.dof)
        out += reweighting_warnings((x.energy, x.error), (y.energy, y.error),
                                    rw.log_weight_std, rw.population_bias, rw.errors)
    return out


def _train(system, config, guide: Guide, walkers, key_init, key_train, progress,
           budget: Budget, keeper: Checkpointer | None = None,
           saved: Checkpoint | None = None):
    """Initialise (or restore) and train the guide; returns (state, history, seconds,
    stop reason). With a `keeper` the state is checkpointed as it goes, at the end, and on
    an interrupt (which is then raised again)."""
    params = guide.init(key_init, system)
    training = config.training
    optimizer = make_optimizer(training.learning_rate, training.grad_clip)
    step = guide.train_step(system.potential, optimizer, dt=training.dt, window=training.window,
                            window_checkpoints=training.window_checkpoints,
                            laplacian_probes=training.laplacian_probes,
                            moves=training.train_moves, mesh=walkers.sharding.mesh)
    state = TrainState(params, optimizer.init(params), walkers, key_train, jnp.zeros((), int))
    history: dict[str, list[float]] = {}
    if saved is not None:
        state, history = saved.state(state), saved.history
    rest = place_replicated(state._replace(walkers=None), walkers.sharding.mesh)
    state = rest._replace(walkers=jax.device_put(state.walkers, walkers.sharding))
    if saved is not None and saved.meta["phase"] != "training":
        if keeper is not None:  # go on keeping what the checkpoint had
            keeper.latest = (state, history, len(history.get("step", ())))
            keeper.trained_time = saved.meta["train_time"]
            keeper.meta["train_stop"] = saved.meta.get("train_stop", "train_steps")
            keeper.phase = saved.meta["phase"]
            stages = {name: saved.stage_state(cls, name) for name, cls in STAGES.items()}
            keeper.stages = {k: v for k, v in stages.items() if v is not None}
        return (state, {k: np.asarray(v) for k, v in history.items()},
                saved.meta["train_time"], saved.meta.get("train_stop", "train_steps"))
    on_update = None
    if progress is not None:
        def on_update(i, values):
            progress.training(i, config.training.train_steps, values)
    rate, stop = training_schedule(config.training.train_steps, config.training.learning_rate,
                                   config.training.final_learning_rate, budget, history)
    t0 = time.perf_counter()
    try:
        state, out, reason = train(state, step, config.training.train_steps, on_update,
                                   learning_rate=rate, stop=stop, history=history,
                                   on_state=_training_keeper(keeper))
    except KeyboardInterrupt:
        if keeper is not None:
            keeper.write("training")
        raise
    spent = time.perf_counter() - t0 + (saved.meta["train_time"] if saved else 0.0)
    if keeper is not None:
        keeper.latest = (state, {k: list(v) for k, v in out.items()}, len(out.get("step", ())))
        keeper.meta["train_stop"] = reason
        keeper.write("trained", train_time=spent)
    return state, out, spent, reason


def control_basis(system: System):
    """The boundary control-variate basis for `system` (see `control_variates`)."""
    nuclei = np.asarray(system.nuclei) if system.coulomb else None

    def basis(r: np.ndarray, powers: bool = True) -> np.ndarray:
        return boundary_basis(r, nuclei, pairs=system.coulomb or system.particles > 1,
                              powers=powers)

    return basis


def variational_estimates(ev: Evaluation) -> VariationalEstimate:
    """The per-dt and extrapolated variational energies of an evaluation, for `Result`."""
    return VariationalEstimate(
        dts=ev.dts, energies=ev.energies, errors=ev.errors, fit=ev.extrapolation,
        raw_energies=ev.raw_energies,
        raw_errors=ev.raw_errors, measured_time=float(ev.measured_time),
        walkers=int(ev.per_walker.shape[1]), replicas=int(ev.per_replica.shape[1]),
        stop_reason=ev.stop_reason)


def reweighted_estimates(rw: Reweighted) -> ReweightedEstimate:
    """The per-dt and extrapolated reweighted (DMC) energies, for `Result`."""
    return ReweightedEstimate(
        dts=rw.dts, energies=rw.energies, errors=rw.errors, fit=rw.extrapolation,
        intervals=int(rw.intervals),
        independent_samples=int(rw.independent_samples), stop_reason=rw.stop_reason,
        log_weight_std=np.asarray(rw.log_weight_std),
        population_bias=np.asarray(rw.population_bias), drift_sigmas=float(rw.drift_sigmas))


def _package(system, config, seed, params, history, ev: Evaluation, rw: Reweighted | None,
             train_time) -> Result:
    estimates = {"variational": variational_estimates(ev)}
    best, label = ev.extrapolation, VARIATIONAL
    if rw is not None:
        estimates["reweighted"] = reweighted_estimates(rw)
        best, label = rw.extrapolation, REWEIGHTED
    if system.fermions:
        label = FIXED_NODE + label
    eval_time = ev.wall_time + (rw.wall_time if rw is not None else 0.0)
    info = {
        "seed": seed,
        "fkdrift_version": __version__,
        "jax_version": jax.__version__,
        "train_time": train_time,
        "eval_time": eval_time,
        "variational_wall_time": ev.wall_time,
        **({"reweighted_wall_time": rw.wall_time} if rw is not None else {}),
        "wall_time": train_time + eval_time,
        "parameters": count_parameters(params),
        "stop_reason": rw.stop_reason if rw is not None else ev.stop_reason,
        "warnings": health_warnings(ev, rw),
        **device_info(ev.walkers),
    }
    params = to_host(params)
    return Result(
        energy=best.energy,
        energy_error=best.error,
        estimator=label,
        estimates=estimates,
        samples=ev.samples,
        params=params,
        history=history,
        density=densities(ev.samples, config.evaluation.density_bins),
        config=config,
        system=system,
        info=info,
    )


def reevaluate(result: Result, seed: int = 1, config: Config | None = None,
               system: System | None = None) -> VariationalEstimate:
    """Independent variational energy of a result's drift, from its own samples.

    Runs fresh correlated chains (new seed) with the result's drift (its own network and
    stored parameters), started from `result.samples`, and returns the per-dt and dt → 0
    variational estimate (like `Result.estimates["variational"]`). With Coulomb
    charges the Itô sum of the analytic cusps is taken through Itô's formula, as in
    `solve`. `system` supplies the potential where the result's own cannot be rebuilt (a
    custom Python potential); the drift is always the result's.
    """
    system = result.system if system is None else system
    if result.system.fermions:
        raise FkdriftError("reevaluate runs unadjusted Euler chains, which cross the nodes "
                           "of a fermion guide; use fkdrift.reestimate (fixed-node moves)")
    config = (result.config if config is None else config).for_system(system)
    samples = jnp.asarray(result.samples)
    order = jax.random.permutation(jax.random.PRNGKey(seed), len(samples))
    mesh = walker_mesh()
    check_divisible({"eval_walkers": config.evaluation.eval_walkers}, mesh)
    start, replicas = replicate(samples[order], config.evaluation.eval_walkers)
    start = shard_walkers(start, mesh)
    model = make_drift_model(result.system, result.config.network,
                             result.config.training.drift_form)
    chunk = make_evaluation_chunk(model, system.potential, config.evaluation.eval_dts,
                                  config.evaluation.chunk_time)
    params = jax.tree_util.tree_map(jnp.asarray, result.params)
    ev = evaluate(chunk, params, start, jax.random.PRNGKey(10_000 + seed), config.evaluation,
                  config.stopping,
                  control_basis(system), replicas=replicas)
    return variational_estimates(ev)
