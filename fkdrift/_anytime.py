"""The anytime policy: how a run with a wall-clock budget or a target error spends its time.

A run with `Config.time_budget` (seconds for the whole run) or `Config.target_error` (the
error bar wanted on the reported energy) is an *anytime* run:

* Training. With a budget alone, the learning rate decays exponentially from
  `learning_rate` to `final_learning_rate` over the training's time share
  (`training_share` of the budget), measured from the end of the first update (whose
  compilation would otherwise eat the decay), and training ends with the share: a plain
  run's schedule fitted to the time given. With a target error, the plain run's decay
  over `train_steps` is cut by `PLATEAU_CUT` at every plateau of the training energy
  ("reduce on plateau": the plateau of a large step is its noise floor, not the
  network's limit), and training stops at the second plateau (the reweighted estimator
  removes the variational bias; for a modest target the time is better spent
  measuring). A plateau is when the mean training energy of the last `PLATEAU_BLOCK`
  updates is no lower than that of the block before by twice the standard error of the
  difference, at `PLATEAU_CHECKS` checks in a row, counted from the last cut.
* The variational stage gets `VARIATIONAL_SHARE` of the time left after training (when
  the reweighted stage follows; all of it otherwise), the reweighted stage the rest less
  `PACKAGING_RESERVE`; each stage also stops once its error bar is below the target.
  Before a reweighted stage guided by a gradient drift the variational stage measures
  only `GUIDED_VARIATIONAL_TIME`.

A run with neither is not anytime: it trains `train_steps` updates and measures the
configured `eval_time` and `reweighted_time`, as before. See docs/anytime.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._distributed import agreed_clock

PLATEAU_BLOCK = 50
"""Updates per block of the plateau test."""

PLATEAU_CHECKS = 2
"""Consecutive blocks without a significant improvement that end training."""

PLATEAU_CUT = 0.1
"""Factor on the learning rate after the first plateau."""

VARIATIONAL_SHARE = 0.3
"""Share of the post-training time given to the variational stage."""

GUIDED_VARIATIONAL_TIME = 1.6
"""Measured time of the variational stage (one error-bar check) when a gradient drift
guides the reweighted stage: its log ψ is then the boundary function, and the time is
better spent on the reported estimate."""

PACKAGING_RESERVE = 0.03
"""Share of the whole budget kept back for fitting, packaging and writing the result."""


@dataclass(frozen=True)
class Budget:
    """Wall-clock deadlines of one run (perf_counter seconds of `agreed_clock`: process
    0's clock in a multi-process run, so that every process stops at the same point).

    started: when the run began; total: its budget in seconds (inf = none);
    training_share: the part of the budget training may use; target_error: the error bar
    wanted (0 = none).
    """

    started: float
    total: float
    training_share: float
    target_error: float = 0.0

    @classmethod
    def start(cls, time_budget: float, training_share: float, target_error: float) -> Budget:
        """A budget starting now; time_budget 0 means none."""
        total = time_budget if time_budget > 0 else math.inf
        return cls(agreed_clock(), total, training_share, target_error)

    @property
    def anytime(self) -> bool:
        """Whether the run adapts its stages (a budget or a target error was given)."""
        return math.isfinite(self.total) or self.target_error > 0

    def elapsed(self) -> float:
        return agreed_clock() - self.started

    def training_progress(self, updates_done: int, train_steps: int) -> float:
        """The larger of the fractions of `train_steps` done and of the training's time
        share spent, capped at 1 (training ends at 1)."""
        progress = updates_done / train_steps
        if math.isfinite(self.total):
            progress = max(progress, self.elapsed() / (self.training_share * self.total))
        return min(progress, 1.0)

    def stage_deadline(self, share: float) -> float:
        """perf_counter deadline of a stage that may use `share` of the time left."""
        if not math.isfinite(self.total):
            return math.inf
        now = agreed_clock()
        left = self.total * (1.0 - PACKAGING_RESERVE) - (now - self.started)
        return now + max(0.0, share * left)


def plateau(energies: np.ndarray, block: int = PLATEAU_BLOCK,
            checks: int = PLATEAU_CHECKS) -> bool:
    """Whether training energies: (updates,) stopped improving: for each of the last
    `checks` pairs of consecutive blocks, the later block's mean is not below the earlier
    one's by more than twice the standard error of the difference. Evaluated only at
    whole blocks (False otherwise)."""
    n = len(energies)
    if n % block or n < (checks + 1) * block:
        return False
    blocks = np.asarray(energies[n - (checks + 1) * block:], float).reshape(checks + 1, block)
    means = blocks.mean(axis=1)
    sems = blocks.std(axis=1, ddof=1) / np.sqrt(block)
    drop = means[:-1] - means[1:]
    noise = np.hypot(sems[:-1], sems[1:])
    return bool(np.all(drop <= 2.0 * noise))  # <=: an exact drift has no noise at all


def training_schedule(train_steps: int, initial: float, final: float, budget: Budget):
    """(learning_rate(i), stop(i, history)) for `training.train` under this policy (see
    the module doc): the plain exponential decay over `train_steps` (stop None) for a run
    that is not anytime; with a budget alone the decay fitted to the time share, from
    the end of the first update; with a target error the decay cut by `PLATEAU_CUT` at
    every plateau and a stop at the second. Every anytime run stops with its share."""

    def decay(progress: float) -> float:
        return initial * (final / initial) ** min(progress, 1.0)

    def out_of_time(i: int) -> bool:
        return i < train_steps and budget.training_progress(i, train_steps) >= 1

    if not budget.anytime:
        return (lambda i: decay(i / train_steps)), None
    if budget.target_error <= 0:
        clock = {"from": None}  # elapsed seconds when the first update had finished

        def timed(i: int) -> float:
            if i == 1:
                clock["from"] = budget.elapsed()
            share = budget.training_share * budget.total
            progress = i / train_steps
            if clock["from"] is not None and share > clock["from"]:
                progress = max(progress,
                               (budget.elapsed() - clock["from"]) / (share - clock["from"]))
            return decay(progress)

        return timed, lambda i, history: "time_budget" if out_of_time(i) else None
    cuts = {"count": 0, "at": 0}  # plateaus seen, and the update of the last one

    def rate(i: int) -> float:
        return decay(i / train_steps) * PLATEAU_CUT ** cuts["count"]

    def stop(i: int, history: dict[str, list[float]]) -> str | None:
        if out_of_time(i):
            return "time_budget"
        if not plateau(np.asarray(history["energy"][cuts["at"]:])):
            return None
        cuts["count"] += 1
        cuts["at"] = i
        return "plateau" if cuts["count"] >= 2 else None

    return rate, stop
