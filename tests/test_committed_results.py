"""The committed accuracy results (results/*.h5, written by benchmarks/accuracy.py) meet the
issues' bars against the exact references. Reading the files takes seconds; producing them
takes the long runs that `pytest -m slow` and the benchmarks do."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import fkdrift
import potentials

RESULTS = Path(__file__).resolve().parent.parent / "results"

# trapped bosons in 2D (issue 4): within 0.3% of the exact-diagonalisation table where the
# table is right to that level (N = 2, 3); at N = 4 the table is too high by 0.013 (g = 3)
# and 0.028 (g = 16), as the independent DMC of benchmarks/bosons_dmc.py shows (its VMC
# upper bound already lies below the table), so N = 3 and 4 are also checked against it.
BOSONS = {
    "bosons_N2_g3": (2, 3.0),
    "bosons_N2_g16": (2, 16.0),
    "bosons_N3_g3": (3, 3.0),
    "bosons_N3_g16": (3, 16.0),
    "bosons_N4_g3": (4, 3.0),
    "bosons_N4_g16": (4, 16.0),
}
DMC = json.loads((RESULTS / "bosons_dmc" / "results.json").read_text())["systems"]


@pytest.mark.parametrize("name", sorted(BOSONS))
def test_trapped_bosons_against_the_references(name):
    particles, g = BOSONS[name]
    result = fkdrift.load(RESULTS / f"{name}.h5")
    table = potentials.trapped_bosons(particles, g=g).exact_energy
    assert result.system.particles == particles and result.system.statistics == "bosons"
    assert result.exact_energy == pytest.approx(table, rel=1e-12)
    assert 0 < result.energy_error < 1e-3 * table  # the bar is resolved by the error bar
    if particles < 4:
        assert abs(result.energy - table) <= 3e-3 * table, result.summary()
    if particles > 2:
        dmc = next(s["dt_to_zero"] for s in DMC if s["N"] == particles and s["g"] == g)
        error = np.hypot(result.energy_error, dmc["error"])
        assert abs(result.energy - dmc["energy"]) <= 3e-3 * dmc["energy"], result.summary()
        assert result.energy - dmc["energy"] > -2 * error, (result.summary(), dmc)
    # the variational estimate of the same drift is an upper bound within its error
    var = result.estimates["variational"]
    assert var["extrapolated"] > result.energy - 4 * var["extrapolated_error"]


def test_hydrogen_within_the_goal():
    """Issue 3: bar 5e-4 Ha, goal 1e-4 Ha; both estimates meet the goal."""
    result = fkdrift.load(RESULTS / "hydrogen.h5")
    assert abs(result.energy + 0.5) < 1e-4, result.summary()
    assert abs(result.energy + 0.5) < 4 * result.energy_error, result.summary()
    var = result.estimates["variational"]
    assert -3 * var["extrapolated_error"] < var["extrapolated"] + 0.5 < 1e-4


def test_helium_within_one_millihartree():
    """Issue 4: E0 within 1 mHa of −2.903724377, and the drift's own variational energy
    (an upper bound up to its dt extrapolation) too."""
    result = fkdrift.load(RESULTS / "helium.h5")
    exact = potentials.helium().exact_energy
    assert result.exact_energy == pytest.approx(-2.903724377, abs=1e-9)
    assert abs(result.energy - exact) < 1e-3, result.summary()
    assert abs(result.energy - exact) < 4 * result.energy_error, result.summary()
    assert result.energy_error < 5e-4
    var = result.estimates["variational"]
    assert -3 * var["extrapolated_error"] < var["extrapolated"] - exact < 1e-3


def test_h2_within_one_millihartree():
    """Issue 4: H2 at R = 1.4011 bohr, E0 and the drift's variational energy within 1 mHa."""
    result = fkdrift.load(RESULTS / "h2.h5")
    exact = potentials.h2(R=1.4011).exact_energy
    assert result.exact_energy == pytest.approx(exact, rel=1e-12)
    assert abs(result.energy - exact) < 1e-3, result.summary()
    assert abs(result.energy - exact) < 4 * result.energy_error, result.summary()
    assert result.energy_error < 1e-3
    var = result.estimates["variational"]
    assert -3 * var["extrapolated_error"] < var["extrapolated"] - exact < 1e-3
