"""The committed accuracy results (results/*.h5, written by benchmarks/accuracy.py) against
the references attached to their systems (exact values; the independent DMC for N >= 3
trapped bosons, with its own error bar). Reading the files takes seconds; the estimators
themselves are re-run on the committed drifts in tests/test_regression.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fkdrift
import potentials

RESULTS = Path(__file__).resolve().parent.parent / "results"

BOSONS = {f"bosons_N{n}_g{g}": (n, float(g)) for n in (2, 3, 4) for g in (3, 16)}
COULOMB = {"hydrogen": potentials.hydrogen, "helium": potentials.helium, "h2": potentials.h2}


def reference(name: str) -> fkdrift.System:
    """The system of a committed row as the package defines it now (current reference)."""
    if name in BOSONS:
        return potentials.trapped_bosons(*BOSONS[name])
    return COULOMB[name]()


@pytest.mark.parametrize("name", [*sorted(BOSONS), *COULOMB])
def test_committed_row_within_two_sigma_of_its_reference(name):
    result = fkdrift.load(RESULTS / f"{name}.h5")
    system = reference(name)
    error = np.hypot(result.energy_error, system.reference_error)
    assert abs(result.energy - system.exact_energy) < 2 * error, result.summary()
    # the variational estimate of the same drift is an upper bound within its error
    var = result.estimates["variational"]
    assert var["extrapolated"] > result.energy - 3 * np.hypot(var["extrapolated_error"],
                                                             result.energy_error)


@pytest.mark.parametrize("name", ["helium", "h2"])
def test_molecule_rows_within_one_millihartree(name):
    result = fkdrift.load(RESULTS / f"{name}.h5")
    exact = reference(name).exact_energy
    assert abs(result.energy - exact) < 1e-3 and result.energy_error < 5e-4, result.summary()
    var = result.estimates["variational"]
    assert -3 * var["extrapolated_error"] < var["extrapolated"] - exact < 1e-3
