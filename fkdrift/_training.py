"""Training: minimise the path-space energy ℓ_T/T (docs/method.md §2).

The numerical core is two step factories, each jitted once: `make_train_step` for a free
drift (pathwise gradients through windows of walkers) and `make_local_energy_step` for a
gradient drift v = ∇ log ψ (ℓ_T in its local-energy form). The loop in `train` is the thin
shell that calls either, records the history and reports progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import Array, PRNGKeyArray

from ._drift import analytic_cusps, trial_log_psi
from ._errors import FkdriftError
from ._local_energy import bind, local_energies
from ._metropolis import gradient_walkers, langevin_moves
from ._sde import PotentialFn, Window, integrate_window
from ._sharding import AXIS, Devices


class TrainState(NamedTuple):
    """Everything that changes between updates, passed explicitly.

    params: drift parameters; opt_state: optax state; walkers: (batch, particles, dim);
    key: PRNG key; step: number of updates done.
    """

    params: dict
    opt_state: optax.OptState
    walkers: Array
    key: PRNGKeyArray
    step: Array


def window_loss(
    params: dict,
    model: nn.Module,
    potential: PotentialFn,
    walkers: Array,
    key: PRNGKeyArray,
    *,
    dt: float,
    n_steps: int,
    substeps: int = 1,
    checkpoints: int | None = None,
) -> tuple[Array, tuple[Array, Array, Array]]:
    """Loss of one window: mean ℓ_T/T − mean(stop_grad(v(r_T))·r_T)/T.

    The second term supplies the gradient of −log φ0(r_T) that the detached start misses.
    walkers: (batch, particles, dim). Returns (loss, (energy, energy_std, r_T)), where
    energy = Σℓ/Σt is the training energy (the loss without the boundary term).
    The cusp treatment is the model's: the Itô sum of a `CuspDrift`'s analytic cusps goes
    through Itô's formula (see `sde.FeynmanKacTerm`), as in evaluation: the same loss as
    dt → 0, with bounded Coulomb terms, so a far less noisy gradient (benchmarks/README.md,
    "Figures behind choices in the code"); a model without analytic cusps has the plain
    Itô sum.
    substeps: Brownian lattice cells per step (see `integrate_window`).
    checkpoints: steps stored for the gradient (`integrate_window`); None: every step.
    """

    def drift(r: Array) -> Array:
        return model.apply(params, r)

    cusps = analytic_cusps(model)
    out = integrate_window(drift, potential, walkers, key, dt=dt, n_steps=n_steps,
                           substeps=substeps,
                           checkpoints=n_steps if checkpoints is None else checkpoints,
                           cusp=None if cusps is None else partial(cusps, params))
    return window_loss_terms(drift, out, n_steps * dt)


def window_loss_terms(drift, out: Window, duration: float
                ) -> tuple[Array, tuple[Array, Array, Array]]:
    """Loss and metrics from a window's end state (see `window_loss`)."""
    r_T, ell = out.r, out.ell
    t = jnp.full_like(ell, duration)
    T = jax.lax.stop_gradient(jnp.mean(t))
    energy = jnp.mean(ell) / T
    v_T = jax.lax.stop_gradient(drift(r_T))
    boundary = jnp.mean(jnp.sum(v_T * r_T, axis=(-2, -1))) / T
    clock = jnp.mean(jax.lax.stop_gradient(energy) * (t - T)) / T
    return energy - clock - boundary, (energy, jnp.std(ell / t), r_T)


def make_optimizer(learning_rate: float, grad_clip: float = 0.0) -> optax.GradientTransformation:
    """Adam whose learning rate lives in its state (`optax.inject_hyperparams`), so that
    the training loop sets it before every update (see `train`), optionally after
    clipping the gradient's global norm to `grad_clip` (0 disables)."""
    chain = [optax.clip_by_global_norm(grad_clip)] if grad_clip > 0 else []
    # only the rate is an array: array moments decay factors (float64) would promote
    # float32 moments after the first update and compile the step a second time
    adam = optax.inject_hyperparams(optax.adam, static_args=("b1", "b2", "eps"))
    return optax.chain(*chain, adam(learning_rate=learning_rate))


def with_learning_rate(state: TrainState, learning_rate: float) -> TrainState:
    """`state` whose optimizer takes its next step with `learning_rate`. The state of
    `make_optimizer` (a chain ending in the injected Adam) is changed in place of its
    rate; optax's generic `tree_set` walks the whole state (host time comparable to a
    helium update) and serves other optimizers."""
    opt_state = state.opt_state
    last = opt_state[-1] if isinstance(opt_state, tuple) and opt_state else None
    hyperparams = getattr(last, "hyperparams", None)
    if isinstance(hyperparams, dict) and "learning_rate" in hyperparams:
        old = hyperparams["learning_rate"]
        rate = jnp.asarray(learning_rate, getattr(old, "dtype", None))
        last = last._replace(hyperparams={**hyperparams, "learning_rate": rate})
        return state._replace(opt_state=(*opt_state[:-1], last))
    opt_state = optax.tree_utils.tree_set(opt_state, learning_rate=jnp.asarray(learning_rate))
    return state._replace(opt_state=opt_state)


def make_train_step(
    model: nn.Module,
    potential: PotentialFn,
    optimizer: optax.GradientTransformation,
    *,
    dt: float,
    n_steps: int,
    window_checkpoints: int = 0,
    mesh: Mesh | None = None,
) -> Callable[[TrainState], tuple[TrainState, dict[str, Array]]]:
    """Build the jitted update: one window of walkers, pathwise gradient, one Adam step.

    The walkers' end positions (detached) start the next window (see `window_loss`).
    window_checkpoints: steps of the window stored for the gradient, the others
    recomputed (rematerialised); 0: every step (see `benchmarks/memory.py`).
    mesh: the walker mesh of a run over several devices (see `per_device`).
    """

    def loss_fn(params, walkers, key):
        return window_loss(params, model, potential, walkers, key, dt=dt, n_steps=n_steps,
                           checkpoints=window_checkpoints or None)

    def train_step(state: TrainState, devices: Devices) -> tuple[TrainState, dict[str, Array]]:
        key, window_key = jax.random.split(state.key)
        (loss, (energy, spread, r_T)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            state.params, state.walkers, devices.key(window_key)
        )
        # one reduction across the devices per update: the means over each device's
        # walkers (equal shares) averaged, the spread through its second moment
        loss, energy, second, grads = devices.mean((loss, energy, spread**2 + energy**2,
                                                    grads))
        spread = jnp.sqrt(jnp.maximum(second - energy**2, 0.0))
        grad_norm = optax.tree.norm(grads)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        # A window whose loss or gradient overflowed (a walker almost on a singularity)
        # is dropped whole: the update is skipped and such walkers restart where they were.
        finite = jnp.isfinite(loss) & jnp.isfinite(grad_norm)
        params, opt_state = jax.tree_util.tree_map(
            lambda new, old: jnp.where(finite, new, old),
            (params, opt_state), (state.params, state.opt_state))
        walker_ok = jnp.all(jnp.isfinite(r_T), axis=(-2, -1))[:, None, None]
        walkers = jnp.where(walker_ok, jax.lax.stop_gradient(r_T), state.walkers)
        new_state = TrainState(params, opt_state, walkers, key, state.step + 1)
        metrics = {
            "loss": loss,
            "energy": energy,
            "energy_spread": spread,
            "grad_norm": grad_norm,
            "skipped": 1.0 - finite.astype(jnp.float64),
        }
        return new_state, metrics

    return per_device(train_step, mesh)


    return train_step


LOCAL_ENERGY_CLIP = 5.0
"""Local energies enter the gradient clipped to median ± this many mean absolute
deviations (a walker near an undeclared singularity must not dominate an update)."""


def local_energy_loss(log_psi: Callable[[dict, Array], Array], params: dict, r: Array,
                      e_local: Array, everyone: Array | None = None) -> Array:
    """Surrogate whose gradient in params is the gradient of the stationary mean of
    ℓ_T/T for a gradient drift: 2·mean((E_L − Ē)·∇_θ log ψ) over walkers r: (W, P, D)
    drawn from |ψ|² (docs/method.md §2); e_local: (W,) their local energies, clipped to
    `LOCAL_ENERGY_CLIP` mean absolute deviations around the median. everyone: the local
    energies of every walker of the update when r holds one device's share of them (the
    median, spread and Ē are theirs, so that the devices' surrogates average to the
    whole batch's); None: e_local."""
    everyone = e_local if everyone is None else everyone
    median = jnp.median(everyone)
    spread = jnp.mean(jnp.abs(everyone - median))
    low, high = median - LOCAL_ENERGY_CLIP * spread, median + LOCAL_ENERGY_CLIP * spread
    mean = jnp.mean(jnp.clip(everyone, low, high))
    centred = jax.lax.stop_gradient(jnp.clip(e_local, low, high) - mean)
    return 2.0 * jnp.mean(centred * log_psi(params, r))


def make_local_energy_step(
    model: nn.Module,
    potential: PotentialFn,
    optimizer: optax.GradientTransformation,
    *,
    dt: float,
    n_steps: int,
    laplacian_probes: int = 0,
    metropolis: bool = False,
    mesh: Mesh | None = None,
) -> Callable[[TrainState], tuple[TrainState, dict[str, Array]]]:
    """Build the jitted update of a gradient drift (`drift.trial_log_psi` is not None):
    the walkers move `n_steps` Euler–Maruyama steps of the current drift (forward only,
    so they follow its stationary law |ψ|²), then one Adam step on `local_energy_loss`.

    Metrics as `make_train_step`'s, with energy and loss the walkers' mean local energy
    and energy_spread its standard deviation. laplacian_probes > 0: the local energies'
    Laplacian is Hutchinson's estimate from that many random vectors per walker
    (unbiased, so the gradient stays unbiased; O(1) instead of O(particles·dim)
    Hessian-vector products); 0: exact. metropolis: the walkers move by
    Metropolis-adjusted Langevin steps (`metropolis.langevin_moves`), which follow |ψ|²
    exactly at any dt, instead of unadjusted Euler–Maruyama steps. mesh: the walker
    mesh of a run over several devices (see `per_device`)."""
    log_psi = trial_log_psi(model)
    if log_psi is None:
        raise FkdriftError("make_local_energy_step needs a gradient drift")
    cusps = analytic_cusps(model)

    def move(params: dict, walkers: Array, key: PRNGKeyArray) -> Array:
        if metropolis:
            psi = bind(log_psi, params)
            return langevin_moves(psi, gradient_walkers(psi, walkers), key, dt=dt,
                                  n_steps=n_steps)[0].r
        return integrate_window(
            lambda x: model.apply(params, x), potential, walkers, key, dt=dt,
            n_steps=n_steps, cusp=None if cusps is None else partial(cusps, params)).r

    def train_step(state: TrainState, devices: Devices) -> tuple[TrainState, dict[str, Array]]:
        key, move_key = jax.random.split(state.key)
        probe_key = None
        if laplacian_probes:
            key, probe_key = jax.random.split(key)
            probe_key = devices.key(probe_key)
        params = state.params
        r = move(params, state.walkers, devices.key(move_key))
        walker_ok = jnp.all(jnp.isfinite(r), axis=(-2, -1))[:, None, None]
        r = jnp.where(walker_ok, r, state.walkers)
        e_local = local_energies(bind(log_psi, params), potential, r, probe_key,
                                 laplacian_probes)
        everyone = devices.gather(e_local)  # (batch,): the clip and the metrics need all
        grads = devices.mean(jax.grad(
            lambda p: local_energy_loss(log_psi, p, r, e_local, everyone))(params))
        energy = jnp.mean(everyone)
        grad_norm = optax.tree.norm(grads)
        updates, opt_state = optimizer.update(grads, state.opt_state, params)
        new_params = optax.apply_updates(params, updates)
        finite = jnp.isfinite(energy) & jnp.isfinite(grad_norm)
        new_params, opt_state = jax.tree_util.tree_map(
            lambda new, old: jnp.where(finite, new, old),
            (new_params, opt_state), (params, state.opt_state))
        new_state = TrainState(new_params, opt_state, r, key, state.step + 1)
        metrics = {
            "loss": energy,
            "energy": energy,
            "energy_spread": jnp.std(everyone),
            "grad_norm": grad_norm,
            "skipped": 1.0 - finite.astype(jnp.float64),
        }
        return new_state, metrics

    return per_device(train_step, mesh)


def per_device(train_step: Callable[[TrainState, Devices],
                                    tuple[TrainState, dict[str, Array]]],
               mesh: Mesh | None) -> Callable[[TrainState], tuple[TrainState, dict[str, Array]]]:
    """The jitted update of `train_step(state, devices)`. On a mesh of n > 1 devices the
    walkers are cut into n groups, one per device, and `train_step` is mapped over the
    groups (`jax.vmap` with the mesh axis as its axis name; the groups' axis split over
    the devices), so each device runs it on its own walkers and the devices meet only
    where `devices` reduces (`sharding.Devices`): once or twice per update. Left to the
    compiler's sharding propagation over the whole batch, the backward pass of a window
    all-reduced the parameter gradient at every step of the window (benchmarks/README.md,
    `processes.py`). Each group draws its own noise (`Devices.key`), so a run over
    several devices follows other paths than one over one device, with the same
    statistics. None or one device: the plain jitted step, with the numbers it always
    had."""
    if mesh is None or mesh.devices.size == 1:
        return jax.jit(partial(train_step, devices=Devices()))
    groups = mesh.devices.size
    split = NamedSharding(mesh, PartitionSpec(AXIS))
    mapped = jax.vmap(partial(train_step, devices=Devices(AXIS, mesh)), axis_name=AXIS,
                      in_axes=(TrainState(None, None, 0, None, None),),
                      out_axes=(TrainState(None, None, 0, None, None), None))

    @jax.jit
    def step(state: TrainState) -> tuple[TrainState, dict[str, Array]]:
        walkers = state.walkers
        cut = jax.lax.with_sharding_constraint(
            walkers.reshape(groups, -1, *walkers.shape[1:]), split)
        state, metrics = mapped(state._replace(walkers=cut))
        joined = jax.lax.with_sharding_constraint(state.walkers.reshape(walkers.shape), split)
        return state._replace(walkers=joined), metrics

    return step


SKIPPED_BEFORE_REWIND = 10
"""Dropped (non-finite) windows in a row after which training rewinds (see `train`)."""
MAX_REWINDS = 3
"""Rewinds after which training gives up with an error."""
REWIND_EVERY = 50
"""Updates between the snapshots that a rewind returns to."""


def init_walkers(key: PRNGKeyArray, batch: int, shape: tuple[int, int], width: float) -> Array:
    """Broad Gaussian start: (batch, particles, dim) with standard deviation `width`."""
    return width * jax.random.normal(key, (batch, *shape), dtype=jnp.float64)


LearningRateFn = Callable[[int], float]
"""learning_rate(updates_done) -> the learning rate of the next update."""

def exponential_decay(initial: float, final: float, updates: int) -> LearningRateFn:
    """initial·(final/initial)^(i/updates) before update i: `final` after `updates`."""
    return lambda i: initial * (final / initial) ** (i / updates)


StopFn = Callable[[int, dict[str, list[float]]], str | None]
"""stop(updates_done, history so far) -> a reason to stop training now, or None."""


def train(
    state: TrainState,
    train_step: Callable[[TrainState], tuple[TrainState, dict[str, Array]]],
    n_updates: int,
    on_update: Callable[[int, dict[str, float]], None] | None = None,
    *,
    learning_rate: LearningRateFn | None = None,
    stop: StopFn | None = None,
    history: dict[str, list[float]] | None = None,
    on_state: Callable[[TrainState, dict[str, list[float]]], None] | None = None,
) -> tuple[TrainState, dict[str, np.ndarray], str]:
    """Run updates until `n_updates` are done; returns the final state, the history (one
    row per update) and why training ended ("train_steps", or the reason `stop` gave).

    learning_rate: sets the learning rate before each update (None keeps the
    optimizer's, which must come from `make_optimizer`). History keys: step, loss, energy,
    energy_spread, grad_norm, skipped (1 where a non-finite window was dropped), rewinds
    (how many so far), learning_rate, wall_time.
    history: the rows of updates already done (a resumed run continues after them);
    on_state(state, rows) is called after every update (checkpoints).

    Divergence: after `SKIPPED_BEFORE_REWIND` dropped windows in a row, training returns
    to its last snapshot (taken every `REWIND_EVERY` finite updates), halves the learning
    rate from then on and draws new noise; the rows after the snapshot are discarded and
    the `rewinds` column counts it. After `MAX_REWINDS` rewinds it raises FkdriftError.
    """
    rows: dict[str, list[float]] = {k: list(v) for k, v in (history or {}).items()}
    done = len(rows.get("step", ()))
    rewinds = int(rows["rewinds"][-1]) if done and "rewinds" in rows else 0
    start = time.perf_counter() - (rows["wall_time"][-1] if done else 0.0)
    snapshot = (state, done)
    in_a_row, i = 0, done
    if learning_rate is None:  # the optimizer's own rate (as it was before any rewind)
        base = float(optax.tree_utils.tree_get(state.opt_state, "learning_rate")) / 0.5**rewinds

        def learning_rate(i: int) -> float:
            return base

    while i < n_updates:
        lr = 0.5**rewinds * learning_rate(i)
        state = with_learning_rate(state, lr)
        state, metrics = train_step(state)
        values = {k: float(v) for k, v in jax.device_get(metrics).items()}  # one transfer
        in_a_row = in_a_row + 1 if values["skipped"] else 0
        if in_a_row >= SKIPPED_BEFORE_REWIND:
            state, i, in_a_row, rewinds = _rewind(snapshot, rows, rewinds, values["loss"])
            continue
        i += 1
        values["step"] = float(i)
        values["rewinds"] = float(rewinds)
        values["learning_rate"] = lr
        values["wall_time"] = time.perf_counter() - start
        for k, v in values.items():
            rows.setdefault(k, []).append(v)
        if in_a_row == 0 and i % REWIND_EVERY == 0:
            snapshot = (state, i)
        if on_state is not None:  # before anything that may raise (an interrupt)
            on_state(state, rows)
        if on_update is not None:
            on_update(i, values)
        if stop is not None and (reason := stop(i, rows)):
            return state, {k: np.asarray(v) for k, v in rows.items()}, reason
    return state, {k: np.asarray(v) for k, v in rows.items()}, "train_steps"


def _rewind(snapshot: tuple[TrainState, int], rows: dict[str, list[float]], rewinds: int,
            loss: float) -> tuple[TrainState, int, int, int]:
    """Return to `snapshot` (state, updates done) after a divergence: the rows after it
    are dropped (in place), the key is changed so that the same noise is not replayed.
    Returns (state, updates done, 0 skipped in a row, rewinds)."""
    state, done = snapshot
    if rewinds >= MAX_REWINDS:
        raise FkdriftError(
            f"training diverged at update {len(rows.get('step', ())) + 1} (loss is {loss} "
            f"for {SKIPPED_BEFORE_REWIND} updates in a row, even after {rewinds} rewinds "
            f"with the learning rate halved each time); lower Config.dt or "
            f"Config.learning_rate")
    for k in rows:
        del rows[k][done:]
    key = jax.random.fold_in(state.key, rewinds + 1)
    return state._replace(key=key), done, 0, rewinds + 1
