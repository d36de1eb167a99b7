"""Long accuracy runs (minutes each): `pytest -m slow`. Outputs of the same runs are in
results/ (written by benchmarks/accuracy.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fkdrift

RESULTS = Path(__file__).resolve().parent.parent / "results"
pytestmark = pytest.mark.slow


def test_hydrogen_default_settings():
    result = fkdrift.solve("hydrogen", seed=0)
    dev = result.energy + 0.5
    assert abs(dev) < 5e-4, result.summary()  # hydrogen within 0.5 mHa of exact
    assert abs(dev) < 4 * result.energy_error, result.summary()


def test_committed_hydrogen_drift_holds_up_under_reevaluation():
    result = fkdrift.load(RESULTS / "hydrogen.h5")
    # fresh chains (new seed), three times longer than the stored evaluation
    again = fkdrift.reevaluate(result, seed=7, config=result.config.replace(eval_time=60.0))
    stored = result.estimates["variational"]
    # the independent chains reproduce the stored variational energy of that drift ...
    diff = again.extrapolated - stored.extrapolated
    assert abs(diff) < 4 * np.hypot(again.extrapolated_error, stored.extrapolated_error)
    # ... which is an upper bound, never below exact beyond its error, within 5e-4 Ha
    dev = again.extrapolated + 0.5
    assert -3 * again.extrapolated_error < dev < 5e-4, again


@pytest.mark.parametrize("name", ["helium", "h2"])
def test_committed_molecule_drift_holds_up_under_reevaluation(name):
    """The variational energy of the committed drift, recomputed by fresh chains from its
    own samples, is consistent with lying within 1 mHa of exact (above it by less than 2σ
    of the new measurement) and is not below exact beyond 3σ. (Helium's drift is at
    +0.83 ± 0.12 mHa over four independent evaluations, single ones scatter by 0.24: a
    hard 1 mHa cut on one of them would fail a correct drift one time in four.)"""
    result = fkdrift.load(RESULTS / f"{name}.h5")
    again = fkdrift.reevaluate(result, seed=7)
    dev = again.extrapolated - result.exact_energy
    error = again.extrapolated_error
    assert -3 * error < dev < 1e-3 + 2 * error, again
    stored = result.estimates["variational"]
    diff = again.extrapolated - stored.extrapolated
    assert abs(diff) < 4 * np.hypot(again.extrapolated_error, stored.extrapolated_error)
