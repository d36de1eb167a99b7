"""Runs over several processes (hosts): `jax.distributed` set up once, before any
computation, and the rules that keep the processes in step.

Every process runs the same `solve` with the same seed; the walkers are split over the
devices of all processes (`_sharding.walker_mesh`) and the compiled steps reduce across
them. Host-side decisions (error bars, stopping) are taken from data gathered whole on
every process, so they agree. Decisions by the wall clock (a time budget, the checkpoint
interval) read `agreed_now`: process 0's clock as of the last agreement, so that every
process takes them at the same update or chunk. The processes agree (`agree`, one
collective through the host) only at the start of a run and at `agreement_point`s, which
the solver places after each training update and each evaluation chunk and which agree
every k-th time, k chosen so that agreeing costs about 2% of the run. Ctrl-C and SIGTERM
are deferred to the agreements (`defer_interrupts`), so that all processes stop together
and checkpoint the same state. The other collectives are inside the compiled steps
(`training.per_device`, the evaluation's reductions) and in `sharding.to_host`.
Only process 0 prints and writes files.
"""

from __future__ import annotations

import math
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import jax
import numpy as np

from ._errors import FkdriftError


def initialize(coordinator: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, timeout: float = 60.0) -> None:
    """Join a multi-process run: `jax.distributed.initialize` with the given coordinator
    address ("HOST:PORT"), process count and this process's id, or with none of them
    under a launcher JAX detects (SLURM, Open MPI). Call it before any computation.
    timeout: seconds to wait for the coordinator (a process other than 0 first waits
    until something listens at its address) and for JAX's joining (its
    `initialization_timeout`; once that is out, JAX aborts the process, see
    `_cli.exit_after`). Errors are one-line FkdriftErrors."""
    import math
    import socket

    given = {"coordinator_address": coordinator, "num_processes": num_processes,
             "process_id": process_id}
    host, _, port = (coordinator or "").rpartition(":")
    if coordinator is not None and not (host and port.isdigit()):
        raise FkdriftError(f"--coordinator must be HOST:PORT, got {coordinator!r}")
    if num_processes is not None and num_processes < 1:
        raise FkdriftError(f"--num-processes must be at least 1, got {num_processes}")
    if process_id is not None and num_processes is not None and not (
            0 <= process_id < num_processes):
        raise FkdriftError(f"--process-id must be in 0..{num_processes - 1}, got {process_id}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise FkdriftError(f"--distributed-timeout must be a positive number of seconds, "
                           f"got {timeout}")
    deadline = time.monotonic() + timeout
    while coordinator is not None and process_id:  # process 0 starts the coordinator
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=1.0).close()
            break
        except OSError as exc:
            if time.monotonic() > deadline:
                raise FkdriftError(
                    f"cannot join the distributed run: no coordinator answers at "
                    f"{coordinator} after {timeout:g} s (--distributed-timeout; "
                    f"{exc.strerror or exc}); start process 0 first or check the address"
                ) from exc
            time.sleep(0.25)
    try:
        jax.distributed.initialize(**{k: v for k, v in given.items() if v is not None},
                                   initialization_timeout=max(1, math.ceil(timeout)))
    except Exception as exc:  # noqa: BLE001 - any failure to join is reported in one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise FkdriftError(f"cannot join the distributed run: {first[:300]}") from exc


def process_count() -> int:
    """Processes in this run (1 without `initialize`)."""
    return jax.process_count()


def is_main_process() -> bool:
    """Whether this process prints and writes files (process 0)."""
    return jax.process_index() == 0


_INTERRUPTED = {"signal": 0, "raised": 0}
"""signal: the signal this process received while interrupts are deferred (0: none);
raised: the signal behind the last KeyboardInterrupt raised for an interrupt (0: none
or Ctrl-C raised by Python itself)."""


def interrupting_signal(signum: int | None = None) -> int:
    """The signal (SIGINT, SIGTERM) behind the interrupt in progress, 0 if unknown; with
    `signum`, record it (0 clears it)."""
    if signum is not None:
        _INTERRUPTED["raised"] = int(signum)
    return _INTERRUPTED["raised"]


@contextmanager
def defer_interrupts() -> Iterator[None]:
    """While active, SIGINT and SIGTERM only mark this process as interrupted; the next
    `agree` of a multi-process run then raises KeyboardInterrupt on every process
    at once. (Raised where the signal lands, a collective on one process would wait for
    the others forever.) One process: signals interrupt at once, as usual."""
    if process_count() == 1:
        yield
        return

    def mark(signum, frame):
        _INTERRUPTED["signal"] = signum

    previous = {s: signal.signal(s, mark) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _INTERRUPTED["signal"] = 0


AGREEMENT_SHARE = 0.02
"""Share of the time between agreement points that agreeing may cost: a multi-process
run agrees every k points, k chosen from the measured cost of agreeing and time between
points (see `agreement_point`)."""
AGREEMENT_SPACING = 0.5
"""Seconds at most between agreements (the grain of clock decisions and interrupts)."""

_CLOCK = {"time": 0.0, "every": 1, "since": 0, "cost": 0.0, "at": 0.0}
"""The agreed clock of a multi-process run: time: the perf_counter seconds of process 0
at the last agreement; every: points between agreements (process 0's choice, agreed);
since: points since the last agreement; cost: seconds the last agreement took on this
process; at: this process's perf_counter when it ended."""


def agree() -> float:
    """An agreement: process 0's clock, its choice of how many points to the next
    agreement and every process's interrupt mark, gathered on every process (one small
    collective through the host, which every process must call at the same point of the
    program: call it only from `agreement_point` or where every process runs the same
    line, such as the start of a run). Raises KeyboardInterrupt on every process when any
    of them was interrupted (see `defer_interrupts`). Returns the agreed time (one
    process: its own perf_counter, and nothing is gathered)."""
    now = time.perf_counter()
    if process_count() == 1:
        return now
    from jax.experimental import multihost_utils

    rows = np.asarray(multihost_utils.process_allgather(np.array(
        [now, float(_INTERRUPTED["signal"]), float(_next_every(now))])))  # (processes, 3)
    end = time.perf_counter()
    _CLOCK.update(time=float(rows[0, 0]), every=int(rows[0, 2]), since=0, cost=end - now,
                  at=end)
    if np.any(rows[:, 1]):
        _INTERRUPTED["raised"] = int(np.max(rows[:, 1]))
        _INTERRUPTED["signal"] = 0  # raised once
        raise KeyboardInterrupt
    return _CLOCK["time"]


def _next_every(now: float) -> int:
    """Process 0's proposal of points to the next agreement: agreeing costs at most
    `AGREEMENT_SHARE` of the time between points, and agreements come at least every
    `AGREEMENT_SPACING` seconds."""
    since = _CLOCK["since"]
    if not since or not _CLOCK["at"]:
        return 1
    per_point = max((now - _CLOCK["at"]) / since, 1e-6)
    wanted = math.ceil(_CLOCK["cost"] / (AGREEMENT_SHARE * per_point))
    return max(1, min(wanted, math.floor(AGREEMENT_SPACING / per_point)))


def agreement_point() -> None:
    """A point where the processes may agree (after each training update and each
    evaluation chunk, see `solver`): every k-th call is an `agree`, k agreed at the
    previous one. Between agreements `agreed_now` stands still, so the clock decisions
    taken from it (time budget, checkpoint interval) stay the same on every process, and
    interrupts wait for the next agreement. One process: nothing to do."""
    if process_count() == 1:
        return
    _CLOCK["since"] += 1
    if _CLOCK["since"] >= _CLOCK["every"]:
        agree()


def agreed_now() -> float:
    """perf_counter seconds, the same on every process: the time of the last agreement
    (no collective, so it may be read anywhere, also in a branch that only some
    processes take). One process: its own clock, now."""
    if process_count() == 1:
        return time.perf_counter()
    return _CLOCK["time"]
