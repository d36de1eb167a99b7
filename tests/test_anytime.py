"""The anytime policy (`fkdrift._anytime`): plateau test, learning-rate decay, deadlines,
and a budgeted `solve` that still ends with an honest E0."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fkdrift
from fkdrift._anytime import PACKAGING_RESERVE, Budget, plateau


@pytest.mark.parametrize("slope", [0.0, 1e-5], ids=["flat", "tiny-trend"])
def test_plateau_is_seen_in_noise_without_a_resolved_trend(slope):
    rng = np.random.default_rng(0)
    energies = 1.0 - slope * np.arange(150) + 0.01 * rng.standard_normal(150)
    assert plateau(energies)


def test_a_resolved_descent_is_not_a_plateau():
    rng = np.random.default_rng(0)
    energies = 2.0 - 2e-3 * np.arange(150) + 0.01 * rng.standard_normal(150)
    assert not plateau(energies)


def test_plateau_is_only_judged_on_whole_blocks_of_enough_updates():
    flat = np.ones(150) + 1e-3 * np.random.default_rng(1).standard_normal(150)
    assert not plateau(flat[:100])  # two blocks: one comparison is not enough
    assert not plateau(flat[:149])


def test_budget_progress_counts_steps_and_time():
    plain = Budget.start(0.0, 0.5, 0.0)
    assert not plain.anytime and plain.stage_deadline(0.3) == math.inf
    assert plain.training_progress(50, 200) == pytest.approx(0.25)
    spent = Budget(started=0.0, total=10.0, training_share=0.5)  # started long ago
    assert spent.anytime and spent.training_progress(1, 1000) == 1.0
    assert Budget.start(0.0, 0.5, 1e-3).anytime


def test_stage_deadline_shares_what_is_left():
    budget = Budget.start(100.0, 0.5, 0.0)
    left = 100.0 * (1 - PACKAGING_RESERVE) - budget.elapsed()
    deadline = budget.stage_deadline(0.3) - budget.started
    assert deadline == pytest.approx(budget.elapsed() + 0.3 * left, abs=0.05)


@pytest.fixture(scope="module")
def budgeted() -> fkdrift.Result:
    """A harmonic run whose training could never finish its steps in the budget."""
    config = fkdrift.Config(train_steps=1_000_000, batch=128, window=20, width=16,
                            eval_walkers=256, burn_in_time=0.5, time_budget=30.0)
    return fkdrift.solve("harmonic", seed=0, config=config)


def test_budget_ends_training_within_its_share(budgeted):
    info, history = budgeted.info, budgeted.history
    assert info["train_stop_reason"] == "time_budget"  # a budget alone: the share ran out
    assert info["updates"] == len(history["step"]) < 1_000_000
    lr = history["learning_rate"]
    assert np.all(np.diff(lr) <= 0) and lr[0] <= 1e-2
    assert np.all(lr >= 1e-5 * (1 - 1e-9))  # never below the final rate of the decay
    assert info["train_time"] < budgeted.config.time_budget


def test_budgeted_run_still_reports_an_honest_energy(budgeted):
    r = budgeted
    assert r.estimator.startswith("reweighted")
    assert r.energy_error < 0.01
    assert abs(r.energy - r.system.exact_energy) < 3 * r.energy_error
    assert {"variational_wall_time", "reweighted_wall_time"} <= set(r.info)
    assert not any("time budget" in w for w in r.info["warnings"])


def test_target_error_alone_stops_training_at_a_second_plateau():
    """With only a target error there is no time share: training runs until the
    plateau after the learning-rate cut (a well-trained harmonic drift plateaus fast)."""
    config = fkdrift.Config(train_steps=2000, batch=128, window=20, width=16,
                            eval_walkers=256, burn_in_time=0.5, target_error=0.01)
    r = fkdrift.solve("harmonic", seed=0, config=config)
    assert r.info["train_stop_reason"] == "plateau" and r.info["updates"] < 2000
    lr = r.history["learning_rate"]
    assert lr[-1] < 0.2 * lr[0] * (1e-3) ** (r.info["updates"] / 2000)  # the cut happened
    assert r.energy_error < 0.01 and abs(r.energy - r.system.exact_energy) < 3 * r.energy_error


def feed(rate, stop, energies, spreads, rows=None, start=0):
    """Run a target-error schedule over given training rows; returns the learning rate
    before each update and the stop reason (or None)."""
    rows = rows or {"energy": [], "energy_spread": []}
    rates = []
    for i in range(start, len(energies)):
        rates.append(rate(i))
        rows["energy"].append(energies[i])
        rows["energy_spread"].append(spreads[i])
        if reason := stop(i + 1, rows):
            return rates, reason
    return rates, None


def test_a_resumed_target_error_schedule_continues_with_the_rate_it_had():
    """The plateau cuts are replayed from the history, so training resumed after its
    first plateau goes on with the cut rate (it went on 10x higher before)."""
    from fkdrift._anytime import PLATEAU_CUT, training_schedule

    energies = list(np.random.default_rng(0).normal(1.0, 0.1, 600))
    spreads = [0.1] * 600
    budget = Budget(0.0, math.inf, 0.5, target_error=0.05)
    live, reason = feed(*training_schedule(2000, 1e-3, 1e-4, budget), energies, spreads)
    assert reason == "plateau" and len(live) == 300  # plateaus at 150 and 300 updates
    assert live[200] == pytest.approx(1e-3 * (0.1) ** (200 / 2000) * PLATEAU_CUT)
    history = {"energy": energies[:200], "energy_spread": spreads[:200]}
    resumed, again = feed(*training_schedule(2000, 1e-3, 1e-4, budget, history),
                          energies, spreads, rows=history, start=200)
    assert resumed == live[200:] and again == "plateau"


def test_a_demanding_target_keeps_training_through_plateaus():
    """With a target far below the guide's local-energy spread the reweighted stage will
    be long, so plateaus do not stop (or cut) training until the updates done exceed its
    projected cost; a modest target stops at the second plateau."""
    from fkdrift._anytime import REWEIGHTED_COST, training_schedule

    energies = list(np.random.default_rng(1).normal(1.0, 0.1, 1000))
    spreads = [0.1] * 1000
    demanding = Budget(0.0, math.inf, 0.5, target_error=2e-4)
    assert REWEIGHTED_COST * (0.1 / 2e-4) ** 2 > 2000  # projected: more than train_steps
    rates, reason = feed(*training_schedule(2000, 1e-3, 1e-4, demanding), energies, spreads)
    assert reason is None and rates[-1] == pytest.approx(1e-3 * 0.1 ** (999 / 2000))
    modest = Budget(0.0, math.inf, 0.5, target_error=0.05)
    assert feed(*training_schedule(2000, 1e-3, 1e-4, modest), energies, spreads)[1] == "plateau"


def test_the_incremental_plateau_replay_matches_the_full_replay():
    """`PlateauReplay` scans only new or rewritten blocks and gives what the replay of
    the whole history gives (the definition, written out here), after every update, also
    after a rewind rewrites rows."""
    from fkdrift._anytime import PLATEAU_BLOCK, PlateauReplay, enough_training

    def plateau_cuts(history, updates, target_error):  # every block from the start
        energies = np.asarray(history["energy"][:updates])
        spreads = np.asarray(history["energy_spread"][:updates])
        cuts, at = 0, 0
        for n in range(PLATEAU_BLOCK, len(energies) + 1, PLATEAU_BLOCK):
            if cuts < 2 and plateau(energies[at:n]) and enough_training(
                    n, spreads[n - PLATEAU_BLOCK:n], target_error):
                cuts, at = cuts + 1, n
        return cuts

    rng = np.random.default_rng(7)
    energies = list(np.concatenate([np.linspace(1.0, 0.5, 200), np.full(600, 0.5)])
                    + 0.01 * rng.normal(size=800))
    history = {"energy": [], "energy_spread": []}
    replay = PlateauReplay(1e-3)
    seen = set()
    for i, e in enumerate(energies, start=1):
        history["energy"].append(e)
        history["energy_spread"].append(0.01)
        assert replay.cuts(history, i) == plateau_cuts(history, i, 1e-3)
        seen.add(replay.cuts(history, i))
        if i == 500:  # a rewind: the rows after update 400 are dropped and redone
            del history["energy"][400:], history["energy_spread"][400:]
            assert replay.cuts(history, 400) == plateau_cuts(history, 400, 1e-3)
            history["energy"].extend(list(0.4 + 0.01 * rng.normal(size=100)))
            history["energy_spread"].extend([0.01] * 100)
    assert seen == {0, 1, 2}  # the test passes through both cuts
