"""Runs over several processes (hosts): `jax.distributed` set up once, before any
computation, and the rules that keep the processes in step.

Every process runs the same `solve` with the same seed; the walkers are split over the
devices of all processes (`_sharding.walker_mesh`) and the compiled steps reduce across
them. Host-side decisions (error bars, stopping) are taken from data gathered whole on
every process, so they agree; decisions by the wall clock (a time budget) or by a
checkpoint timer would not, and are refused. Only process 0 prints and writes files.
"""

from __future__ import annotations

import jax

from ._errors import FkdriftError


def initialize(coordinator: str | None = None, num_processes: int | None = None,
               process_id: int | None = None) -> None:
    """Join a multi-process run: `jax.distributed.initialize` with the given coordinator
    address ("HOST:PORT"), process count and this process's id, or with none of them
    under a launcher JAX detects (SLURM, Open MPI). Call it before any computation.
    Errors are one-line FkdriftErrors."""
    given = {"coordinator_address": coordinator, "num_processes": num_processes,
             "process_id": process_id}
    if coordinator is not None and ":" not in coordinator:
        raise FkdriftError(f"--coordinator must be HOST:PORT, got {coordinator!r}")
    if num_processes is not None and num_processes < 1:
        raise FkdriftError(f"--num-processes must be at least 1, got {num_processes}")
    if process_id is not None and num_processes is not None and not (
            0 <= process_id < num_processes):
        raise FkdriftError(f"--process-id must be in 0..{num_processes - 1}, got {process_id}")
    try:
        jax.distributed.initialize(**{k: v for k, v in given.items() if v is not None})
    except Exception as exc:  # noqa: BLE001 - any failure to join is reported in one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise FkdriftError(f"cannot join the distributed run: {first[:300]}") from exc


def process_count() -> int:
    """Processes in this run (1 without `initialize`)."""
    return jax.process_count()


def is_main_process() -> bool:
    """Whether this process prints and writes files (process 0)."""
    return jax.process_index() == 0


def check_single_clock(time_budget: float, checkpoint: object) -> None:
    """One-line FkdriftError when a multi-process run asks for what each process would
    decide by its own clock: a time budget, or checkpoints every so many seconds."""
    if process_count() == 1:
        return
    if time_budget > 0:
        raise FkdriftError("a time budget is not supported across processes yet (each "
                           "process would stop by its own clock); use --target-error")
    if checkpoint is not None:
        raise FkdriftError("checkpoints are not supported across processes yet")
