"""The anytime policy: how a run with a wall-clock budget or a target error spends its time.

A run with `Config.time_budget` (seconds for the whole run) or `Config.target_error` (the
error bar wanted on the reported energy) is an *anytime* run:

* Training. With a budget alone, the learning rate decays exponentially from
  `learning_rate` to `final_learning_rate` over the training's time share
  (`training_share` of the budget, less `ESTIMATE_COMPILES` times the first update's
  time for the estimate stages' compilation), measured from the end of the first update
  (whose compilation would otherwise eat the decay), and training ends with the share: a
  plain run's schedule fitted to the time given. With a target error, the plain run's decay
  over `train_steps` is cut by `PLATEAU_CUT` at every plateau of the training energy
  ("reduce on plateau": the plateau of a large step is its noise floor, not the
  network's limit), and training stops at the second plateau (the reweighted estimator
  removes the variational bias; for a modest target the time is better spent
  measuring). A plateau counts only once the updates done exceed the projected cost of
  the reweighted stage to the target (`enough_training`): a demanding target trains on,
  up to `train_steps`, since a better guide shortens the long stage that follows. A
  plateau is when the mean training energy of the last `PLATEAU_BLOCK` updates is no
  lower than that of the block before by twice the standard error of the difference,
  at `PLATEAU_CHECKS` checks in a row, counted from the last cut.
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

from ._distributed import agree, agreed_now

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

ESTIMATE_COMPILES = 1.5
"""Seconds the estimate stages spend before they measure (compiling their chains, the
no-bound-state probe), in units of the first training update (which is mostly the
training step's compilation; measured in docs/anytime.md). A budget alone takes it off
the total before the training share."""

PACKAGING_RESERVE = 0.03
"""Share of the whole budget kept back for fitting, packaging and writing the result."""


@dataclass(frozen=True)
class Budget:
    """Wall-clock deadlines of one run (perf_counter seconds of `distributed.agreed_now`:
    process 0's clock as of the last agreement in a multi-process run, so that every
    process stops at the same point).

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
        """A budget starting now (an agreement: every process starts one at the same
        line); time_budget 0 means none."""
        total = time_budget if time_budget > 0 else math.inf
        return cls(agree(), total, training_share, target_error)

    @property
    def anytime(self) -> bool:
        """Whether the run adapts its stages (a budget or a target error was given)."""
        return math.isfinite(self.total) or self.target_error > 0

    def elapsed(self) -> float:
        return agreed_now() - self.started

    def training_progress(self, updates_done: int, train_steps: int) -> float:
        """The larger of the fractions of `train_steps` done and of the training's time
        share spent, capped at 1 (training ends at 1)."""
        progress = updates_done / train_steps
        if math.isfinite(self.total):
            progress = max(progress, self.elapsed() / (self.training_share * self.total))
        return min(progress, 1.0)

    def spent(self) -> bool:
        """Whether a finite budget has no time left (its packaging reserve aside)."""
        return math.isfinite(self.total) and (
            self.elapsed() >= self.total * (1.0 - PACKAGING_RESERVE))

    def stage_deadline(self, share: float) -> float:
        """perf_counter deadline of a stage that may use `share` of the time left."""
        if not math.isfinite(self.total):
            return math.inf
        now = agreed_now()
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


def training_schedule(train_steps: int, initial: float, final: float, budget: Budget,
                      history: dict[str, list[float]] | None = None):
    """(learning_rate(i), stop(i, history)) for `training.train` under this policy (see
    the module doc): the plain exponential decay over `train_steps` (stop None) for a run
    that is not anytime; with a budget alone the decay fitted to the time share, from
    the end of the first update; with a target error the decay cut by `PLATEAU_CUT` at
    every plateau and a stop at the second (`plateau_cuts`). Every anytime run stops with
    its share. history: the rows of a resumed training, whose plateaus are replayed."""

    def decay(progress: float) -> float:
        return initial * (final / initial) ** min(progress, 1.0)

    def out_of_time(i: int) -> bool:
        return i < train_steps and budget.training_progress(i, train_steps) >= 1

    if not budget.anytime:
        return (lambda i: decay(i / train_steps)), None
    if budget.target_error <= 0:
        # elapsed seconds when the first update had finished; when training ends
        clock = {"from": None, "end": budget.training_share * budget.total}

        def timed(i: int) -> float:
            if i == 1:
                clock["from"] = first = budget.elapsed()
                clock["end"] = budget.training_share * (budget.total - ESTIMATE_COMPILES * first)
            progress = i / train_steps
            if clock["from"] is not None and clock["end"] > clock["from"]:
                progress = max(progress, (budget.elapsed() - clock["from"])
                               / (clock["end"] - clock["from"]))
            return decay(progress)

        def stop(i: int, history) -> str | None:
            over = i < train_steps and budget.elapsed() >= clock["end"]
            return "time_budget" if over else None

        return timed, stop
    replay = PlateauReplay(budget.target_error)

    def rate(i: int) -> float:
        return decay(i / train_steps) * PLATEAU_CUT ** replay.cuts(energy_rows, i)

    energy_rows: dict[str, list[float]] = dict(history or {})

    def stop(i: int, history: dict[str, list[float]]) -> str | None:
        energy_rows.update(history)  # what rate() reads: the rows are the state
        if out_of_time(i):
            return "time_budget"
        return "plateau" if replay.cuts(history, i) >= 2 else None

    return rate, stop


class PlateauReplay:
    """`plateau_cuts` kept up as the history grows: the scan's state after every whole
    block is remembered with that block's energies, so each call scans only the blocks
    that are new or changed (a rewind rewrites rows), not the whole history again (which
    cost as much as helium's update itself after a few thousand updates;
    benchmarks/README.md, "Figures behind choices in the code")."""

    def __init__(self, target_error: float):
        self.target_error = target_error
        self.blocks: list[tuple[float, ...]] = []  # energies of each scanned block
        self.states: list[tuple[int, int]] = []  # (cuts, start of the current run) after it

    def cuts(self, history: dict[str, list[float]], updates: int) -> int:
        energies = history.get("energy", ())
        spreads = history.get("energy_spread", ())
        whole = min(updates, len(energies)) // PLATEAU_BLOCK
        kept = 0
        while (kept < min(whole, len(self.blocks)) and self.blocks[kept] == tuple(
                energies[kept * PLATEAU_BLOCK:(kept + 1) * PLATEAU_BLOCK])):
            kept += 1
        del self.blocks[kept:], self.states[kept:]
        for b in range(kept, whole):
            n = (b + 1) * PLATEAU_BLOCK
            cuts, at = self.states[-1] if self.states else (0, 0)
            recent = np.asarray(energies[max(at, n - (PLATEAU_CHECKS + 1) * PLATEAU_BLOCK):n],
                                float)
            if cuts < 2 and plateau(recent) and enough_training(
                    n, np.asarray(spreads[n - PLATEAU_BLOCK:n], float), self.target_error):
                cuts, at = cuts + 1, n
            self.blocks.append(tuple(energies[n - PLATEAU_BLOCK:n]))
            self.states.append((cuts, at))
        return self.states[whole - 1][0] if whole else 0


def plateau_cuts(history: dict[str, list[float]], updates: int, target_error: float) -> int:
    """How many plateaus a target-error run's training met in its first `updates` updates
    (each cuts the learning rate by `PLATEAU_CUT`; the second ends training): replayed
    from the history's training energies at every whole block, so that a resumed run
    continues with the rate of the run never stopped. A plateau counts only once training
    has earned its stop (`enough_training`). A run keeps one `PlateauReplay` instead."""
    return PlateauReplay(target_error).cuts(history, updates)


REWEIGHTED_COST = 0.02
"""Projected cost of the reweighted stage, in training updates, per (σ_L/ε)²: σ_L the
spread of the training's local energies, ε the target error. Measured on helium with
the distance guide and its Metropolis-adjusted training moves (the run and its figures:
docs/anytime.md)."""


def enough_training(updates: int, spreads: np.ndarray, target_error: float) -> bool:
    """Whether a target-error run has trained enough to stop at a plateau: once its
    updates exceed the projected cost of the reweighted stage at the current guide,
    `REWEIGHTED_COST`·(σ_L/ε)² updates, σ_L the mean local-energy spread of the last
    block (spreads: (block,)). A demanding target keeps training (a better guide shrinks
    the reweighted variance, which a long stage pays for); a modest one stops at the
    plateau, as measuring is then cheaper than training. Counts, not seconds, so that
    the same seed gives the same numbers on a loaded machine and after a resume."""
    if not len(spreads) or not target_error > 0:
        return True
    sigma = float(np.mean(spreads))
    return updates >= REWEIGHTED_COST * (sigma / target_error) ** 2
