"""Progress reporting for `solve`: line-based (log files, batch jobs, `progress=True`), a
per-update training log in JSON lines, and a fan-out to several receivers.

Every receiver implements the `Progress` protocol of `solver`: training(step, total,
values), evaluating(measured, planned, error), reweighting(measured, planned, error).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import TextIO


class LineProgress:
    """One line per report, at most every `every` seconds per stage (plus the first and
    the last report of each stage), for streams that are not terminals.

    Training lines show update/total, loss, training energy, learning rate, updates per
    second and the time left at that rate; evaluation lines the measured time, the plan
    and the current error bar.
    """

    def __init__(self, stream: TextIO | None = None, every: float = 10.0) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.every = every
        self.last: dict[str, float] = {}
        self.started: dict[str, float] = {}

    def _due(self, stage: str, final: bool) -> bool:
        now = time.perf_counter()
        self.started.setdefault(stage, now)
        if stage in self.last and not final and now - self.last[stage] < self.every:
            return False
        self.last[stage] = now
        return True

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def training(self, step: int, total: int, values: dict[str, float]) -> None:
        if not self._due("training", step == total):
            return
        elapsed = time.perf_counter() - self.started["training"]
        rate = step / elapsed if elapsed > 0 else float("nan")
        eta = (total - step) / rate if rate > 0 else float("nan")
        lr = values.get("learning_rate")
        self._write(
            f"training {step}/{total} loss={values['loss']:.6f} E={values['energy']:.6f}"
            + (f" lr={lr:.2e}" if lr is not None else "")
            + f" {rate:.2f} updates/s ETA {_duration(eta)}"
        )

    def _stage(self, stage: str, measured: float, planned: float, error: float) -> None:
        if not self._due(stage, measured >= planned):
            return
        bar = "" if error != error else f" ±{error:.2e}"
        self._write(f"{stage} {measured:.1f}/{planned:.1f} time units{bar}")

    def evaluating(self, measured: float, planned: float, error: float) -> None:
        self._stage("variational", measured, planned, error)

    def reweighting(self, measured: float, planned: float, error: float) -> None:
        self._stage("reweighted", measured, planned, error)


class TrainingLog:
    """Writes every training update as one JSON line to `path` as it happens (flushed, so
    the file can be read, e.g. with `tail -f` or pandas.read_json(lines=True), while the
    run goes on). Evaluation reports are ignored."""

    def __init__(self, path: str | Path, append: bool = False) -> None:
        self.path = Path(path)
        self.mode = "a" if append else "w"
        self.file: TextIO | None = None

    def training(self, step: int, total: int, values: dict[str, float]) -> None:
        if self.file is None:  # only now: a run that fails before training leaves no log
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.path, self.mode)  # noqa: SIM115 - closed by close()
        row = {k: (v if math.isfinite(v) else None) for k, v in values.items()}
        self.file.write(json.dumps(row) + "\n")
        self.file.flush()

    def evaluating(self, measured: float, planned: float, error: float) -> None:
        pass

    def reweighting(self, measured: float, planned: float, error: float) -> None:
        pass

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class Fanout:
    """Passes every report on to each of `receivers`."""

    def __init__(self, *receivers) -> None:
        self.receivers = receivers

    def training(self, step: int, total: int, values: dict[str, float]) -> None:
        for r in self.receivers:
            r.training(step, total, values)

    def evaluating(self, measured: float, planned: float, error: float) -> None:
        for r in self.receivers:
            r.evaluating(measured, planned, error)

    def reweighting(self, measured: float, planned: float, error: float) -> None:
        for r in self.receivers:
            r.reweighting(measured, planned, error)


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, s = divmod(int(round(seconds)), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h{m:02d}m{s:02d}s" if hours else f"{m}m{s:02d}s"
