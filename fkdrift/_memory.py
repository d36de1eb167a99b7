"""Peak memory of a run, estimated from its sizes before any work (`check_memory`).

Deliberately rough (up to about twice XLA's own figure, on the high side): walker arrays are
float64 (particles × dim × 8 bytes per walker), counted with the number of such arrays
each stage keeps alive; the network's parameters and activations are counted from its
width and depth. A run whose estimate exceeds the memory available (the host's, or the
accelerators' where the walkers live on them) is refused in one line before training,
instead of being killed by the system hours later or dying with RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from ._errors import FkdriftError

FLOAT = 8
"""Bytes per walker coordinate (walkers are float64)."""
TRAINING_ARRAYS = 2
"""Walker-sized arrays per stored training step (position and the gradient's cotangent;
XLA's scratch for a free drift's update at dim 1000 is 1.2 per step)."""
CHAIN_ARRAYS = 6
"""Walker-sized arrays per evaluation chain or reweighted population (positions, drift,
proposal, the Brownian cells of one step, accumulators)."""
ACTIVATION_ARRAYS = 2
"""Activation-sized arrays per network layer and row (forward values and their tangents
or cotangents): the estimate then lies somewhat above XLA's scratch for many trapped
bosons (benchmarks/README.md, "Figures behind choices in the code")."""
PARAMETER_COPIES = 4
"""Copies of the network's parameters (values, gradient, Adam's two moments)."""
SNAPSHOT_COPIES = 2
"""Copies of the density snapshots (on the device as they are taken, gathered at the end)."""


@dataclass(frozen=True)
class Part:
    """One term of the estimate: `bytes`, and `how` they were counted (the sizes that
    make them, for the one-line error)."""

    name: str
    bytes: float
    how: str


def memory_parts(system, config) -> list[Part]:
    """The terms of a run's memory estimate: `system` (its particles and dim) and
    `config` (a Config with the per-system fields filled in, `Config.for_system`)."""
    training, evaluation, network = config.training, config.evaluation, config.network
    P, d = system.particles, system.dim
    coords = P * d
    size = f"{_plural(P, 'particle')} × {d} dim × {FLOAT} bytes"
    free = training.drift_form == "free"
    kept = _training_steps_kept(training) if free else 1
    parts = [Part("training", training.batch * coords * FLOAT * TRAINING_ARRAYS * (kept + 1),
                  f"batch={training.batch} × {kept + 1} steps kept "
                  f"(window={training.window}) × {size} × {TRAINING_ARRAYS} arrays")]
    chains = len(evaluation.eval_dts)
    metropolis = not free and config.reweighting.reweighted_moves == "metropolis"
    if metropolis:  # both stages move by Metropolis at reweighted_dts
        chains = len(config.reweighting.reweighted_dts)
    populations = chains if config.reweighting.estimator == "reweighted" else 0
    walkers = evaluation.eval_walkers * (chains + populations)
    parts.append(Part("evaluation", walkers * coords * FLOAT * CHAIN_ARRAYS,
                      f"eval_walkers={evaluation.eval_walkers} × {chains} chains + "
                      f"{populations} reweighted populations × {size} × {CHAIN_ARRAYS} arrays"))
    if not free:  # local energies: a Hessian of log ψ per walker (one chain at a time)
        hessians = max(training.batch if training.laplacian_probes == 0 else 0,
                       evaluation.eval_walkers if metropolis else 0)
        parts.append(Part("local energies", hessians * coords**2 * FLOAT * 2,
                          f"{hessians} walkers × ({coords} coordinates)² Hessian"))
    parts.append(_activations(training, evaluation, network, P, coords, kept, chains))
    width, depth = network.width, network.depth
    parameters = 2 * coords * width + width**2 * max(depth - 1, 0) + width * (P + 1)
    parts.append(Part("network parameters",
                      parameters * _network_bytes(network) * PARAMETER_COPIES,
                      f"{parameters} parameters × {PARAMETER_COPIES} copies"))
    snapshots = math.ceil(_measured_time(evaluation, config.stopping) / evaluation.sample_every)
    parts.append(Part("density snapshots",
                      snapshots * evaluation.eval_walkers * coords * FLOAT * SNAPSHOT_COPIES,
                      f"{snapshots} snapshots (eval_time / sample_every) × "
                      f"eval_walkers={evaluation.eval_walkers} × {size}"))
    return parts


def _activations(training, evaluation, network, particles: int, coords: int, kept: int,
                 chains: int) -> Part:
    """The network's activations: rows × width × depth × particles, the rows being the
    walkers it sees at once times what each carries: the training window's stored steps
    (free drift), the coordinates' tangents of an exact Laplacian (log ψ), or the chains
    of the Euler evaluation. training, evaluation, network: the Config sections."""
    batch, walkers = training.batch, evaluation.eval_walkers
    if training.drift_form == "free":
        rows = max(batch * kept, walkers * chains)
        what = f"max(batch={batch} × {kept} steps, eval_walkers={walkers} × {chains} chains)"
    else:
        probes = training.laplacian_probes
        tangents = coords if probes == 0 else probes + 1
        rows = max(batch * tangents, walkers * coords)
        what = (f"max(batch={batch} × {tangents}, eval_walkers={walkers} × {coords}) "
                "Laplacian tangents")
    return Part("network activations",
                rows * network.width * max(network.depth, 1) * particles
                * _network_bytes(network) * ACTIVATION_ARRAYS,
                f"{what} × width={network.width} × depth={network.depth} × "
                f"{_plural(particles, 'particle')}")


def estimate_memory(system, config) -> float:
    """Peak bytes of a run (see `memory_parts`): the network's parameters and
    activations and the density snapshots, plus the larger of the training stage and
    the evaluation stages (with their local energies)."""
    parts = {p.name: p.bytes for p in memory_parts(system, config)}
    return (parts["network parameters"] + parts["network activations"]
            + parts["density snapshots"] + parts.get("local energies", 0.0)
            + max(parts["training"], parts["evaluation"]))


def available_memory() -> tuple[float, str]:
    """(bytes, what they are) a run may use: the free memory of the accelerators the
    walkers are split over (the devices of this process), else the host's available
    memory (/proc/meminfo's MemAvailable, within a cgroup's limit; else sysconf)."""
    device = _device_memory()
    if device is not None:
        return device
    return _host_memory(), "available"


def check_memory(system, config, available: float | None = None) -> None:
    """Raise FkdriftError (one line) when the run's estimated peak memory exceeds the
    memory available (`available_memory`, or `available` bytes), naming the estimate,
    its largest term and the limit. Walker arrays are split over the processes of a
    multi-process run, so each needs its share."""
    needed = estimate_memory(system, config) / _process_share()
    where = "available"
    if available is None:
        available, where = available_memory()
    if needed > available:
        largest = max(memory_parts(system, config), key=lambda p: p.bytes)
        raise FkdriftError(
            f"this run needs about {_gib(needed)} (mostly {largest.name}: {largest.how}), "
            f"more than the {_gib(available)} {where}; use fewer walkers, particles or "
            "dimensions")


def _training_steps_kept(training) -> int:
    """SDE steps a free drift's update keeps for its gradient (training: the Config's
    section): the window, or with window_checkpoints k about k stored steps plus a
    recomputed segment of window / k."""
    k, window = training.window_checkpoints, training.window
    return window if not k else min(window, k + math.ceil(window / k))


def _network_bytes(network) -> int:
    return 8 if network.network_dtype == "float64" else 4


def _measured_time(evaluation, stopping) -> float:
    """The longest measured time of the evaluation (an anytime run: max_eval_time)."""
    anytime = stopping.target_error > 0 or stopping.time_budget > 0
    return max(evaluation.eval_time, stopping.max_eval_time) if anytime else evaluation.eval_time


def _process_share() -> float:
    """How many times the run's walkers outnumber this process's (1 in one process)."""
    try:
        import jax

        return jax.device_count() / jax.local_device_count()
    except RuntimeError:  # pragma: no cover - no backend at all
        return 1.0


def _device_memory() -> tuple[float, str] | None:
    """Free memory of this process's accelerators (their sum), or None on a CPU."""
    import jax

    devices = jax.local_devices()
    if all(device.platform == "cpu" for device in devices):
        return None
    free = 0.0
    for device in devices:
        stats = device.memory_stats() or {}
        if "bytes_limit" not in stats:
            return None
        free += stats["bytes_limit"] - stats.get("bytes_in_use", 0)
    return free, f"free on {len(devices)} {devices[0].platform.upper()} device(s)"


def _host_memory() -> float:
    """Available host memory in bytes: MemAvailable, and no more than a cgroup allows."""
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = float(line.split()[1]) * 1024
    except OSError:
        pass
    if available is None:
        available = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                          "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            cap = float(Path(limit).read_text().split()[0])
            used = float(Path(usage).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        available = min(available, max(cap - used, 0.0))
    return available


def _gib(n: float) -> str:
    return f"{n / 2**30:.3g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
