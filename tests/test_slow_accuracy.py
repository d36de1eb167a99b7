"""Long accuracy runs (minutes each): `pytest -m slow`. Outputs of the same runs are in
results/ (written by benchmarks/accuracy.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import fkdrift

RESULTS = Path(__file__).resolve().parent.parent / "results"
pytestmark = pytest.mark.slow


def test_hydrogen_default_settings():
    result = fkdrift.solve("hydrogen", seed=0)
    dev = result.energy + 0.5
    assert abs(dev) < 2e-3, result.summary()
    assert abs(dev) < 4 * result.energy_error, result.summary()
    assert result.info["wall_time"] < 600


def test_committed_hydrogen_drift_holds_up_under_reevaluation():
    result = fkdrift.load(RESULTS / "hydrogen.h5")
    again = fkdrift.reevaluate(result, seed=7)
    dev = again["extrapolated"] + 0.5
    # a variational energy: never below exact beyond its error, and close above it
    assert dev > -3 * again["extrapolated_error"]
    assert dev < 2e-3, again
