"""The committed accuracy results (results/*.h5, written by benchmarks/accuracy.py) meet the
issues' bars against the exact references. Reading the files takes seconds; producing them
takes the long runs that `pytest -m slow` and the benchmarks do."""

from __future__ import annotations

from pathlib import Path

import pytest

import fkdrift
import potentials

RESULTS = Path(__file__).resolve().parent.parent / "results"

# trapped bosons in 2D (issue 4): within 0.3% of the exact-diagonalisation table.
# bosons_N4_g3 is committed but not listed: it lies 3.5e-3 below the table, and so does the
# variational dt → 0 estimate of its drift (an upper bound, 5.6830 ± 0.0011 against the
# table's 5.6946), which points at the table's basis truncation; see results/README.md.
BOSONS = {
    "bosons_N2_g3": (2, 3.0),
    "bosons_N2_g16": (2, 16.0),
    "bosons_N3_g3": (3, 3.0),
    "bosons_N3_g16": (3, 16.0),
}


@pytest.mark.parametrize("name", sorted(BOSONS))
def test_trapped_bosons_within_three_per_mille_of_exact_diagonalisation(name):
    particles, g = BOSONS[name]
    result = fkdrift.load(RESULTS / f"{name}.h5")
    exact = potentials.trapped_bosons(particles, g=g).exact_energy
    assert result.system.particles == particles and result.system.statistics == "bosons"
    assert result.exact_energy == pytest.approx(exact, rel=1e-12)
    assert abs(result.energy - exact) <= 3e-3 * exact, result.summary()
    assert 0 < result.energy_error < 1e-3 * exact  # the bar is resolved by the error bar
    # the variational estimate of the same drift is an upper bound within its error
    var = result.estimates["variational"]
    assert var["extrapolated"] > result.energy - 4 * var["extrapolated_error"]


def test_hydrogen_within_the_bar():
    result = fkdrift.load(RESULTS / "hydrogen.h5")
    assert abs(result.energy + 0.5) < 5e-4, result.summary()
    assert abs(result.energy + 0.5) < 4 * result.energy_error, result.summary()
    var = result.estimates["variational"]
    assert -3 * var["extrapolated_error"] < var["extrapolated"] + 0.5 < 5e-4


def test_h2_within_one_millihartree():
    result = fkdrift.load(RESULTS / "h2.h5")
    exact = potentials.h2(R=1.4011).exact_energy
    assert result.exact_energy == pytest.approx(exact, rel=1e-12)
    assert abs(result.energy - exact) < 1e-3, result.summary()
    assert abs(result.energy - exact) < 4 * result.energy_error, result.summary()
    assert result.energy_error < 1e-3
