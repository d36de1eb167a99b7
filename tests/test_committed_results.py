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
COULOMB = {"hydrogen": potentials.hydrogen, "helium": potentials.helium, "h2": potentials.h2,
           "h2_R2.8": lambda: potentials.h2(R=2.8)}


def reference(name: str) -> fkdrift.System:
    """The system of a committed row as the package defines it now (current reference)."""
    if name in BOSONS:
        return potentials.trapped_bosons(*BOSONS[name])
    return COULOMB[name]()


def pull(name: str) -> float:
    """(energy − reference) / combined error of a committed row."""
    result = fkdrift.load(RESULTS / f"{name}.h5")
    system = reference(name)
    return (result.energy - system.exact_energy) / np.hypot(result.energy_error,
                                                            system.reference_error)


@pytest.mark.parametrize("name", [*sorted(BOSONS), *COULOMB])
def test_committed_row_within_three_sigma_of_its_reference(name):
    result = fkdrift.load(RESULTS / f"{name}.h5")
    assert abs(pull(name)) < 3, result.summary()
    # the variational estimate of the same drift is an upper bound within its error
    var = result.estimates["variational"]
    assert var.extrapolated > result.energy - 3 * np.hypot(var.extrapolated_error,
                                                             result.energy_error)


def test_committed_rows_scatter_like_their_error_bars():
    """The ten rows: at least 8 within 2σ (binomial(10, 0.954): 93%), and no
    common bias (the old rows all lay above their references, +0.6σ to +3.1σ)."""
    z = np.array([pull(name) for name in [*sorted(BOSONS), *COULOMB]])
    assert np.sum(np.abs(z) < 2) >= 8, z
    assert abs(z.mean()) < 2 / np.sqrt(len(z)), z  # mean pull within 2 standard errors
    assert np.sum(z > 0) < len(z), z


# how far above exact the drift's own variational (dt → 0) energy may lie (the 1 mHa accuracy bar)
VARIATIONAL_BAR = {"helium": 1e-3, "h2": 1e-3}


@pytest.mark.parametrize("name", sorted(VARIATIONAL_BAR))
def test_molecule_rows_within_one_millihartree(name):
    result = fkdrift.load(RESULTS / f"{name}.h5")
    exact = reference(name).exact_energy
    assert abs(result.energy - exact) < 1e-3 and result.energy_error < 1e-3, result.summary()
    var = result.estimates["variational"]
    assert -3 * var.extrapolated_error < var.extrapolated - exact < VARIATIONAL_BAR[name]


@pytest.mark.parametrize("name", [*sorted(BOSONS), *COULOMB])
def test_committed_rows_come_from_the_current_estimators(name):
    """Each row was estimated with the fixed quadratic dt fit and the population-bias
    corrected reweighting (not a file left over from the old estimators)."""
    result = fkdrift.load(RESULTS / f"{name}.h5")
    rw = result.estimates["reweighted"]
    assert rw.population_bias is not None and np.isfinite(rw.drift_sigmas)
    assert rw.fit.order == 2 and len(rw.dts) == 4
    assert result.system.reference_source == reference(name).reference_source


MANY_BOSONS = {  # file in results/many_bosons: (N, how the run was made)
    "N8_g3": (8, {"laplacian_probes": 0, "train_steps": 2000}),  # default settings
    "N16_g3_default": (16, {"laplacian_probes": 0, "train_steps": 2000}),  # default settings
    "N16_g3": (16, {"laplacian_probes": 4}),  # Hutchinson Laplacian, --target-error 0.015
    "N32_g3": (32, {"laplacian_probes": 4}),  # Hutchinson Laplacian, --target-error 0.03
}


@pytest.mark.parametrize("name", sorted(MANY_BOSONS))
def test_many_bosons_within_a_thousandth_of_the_dmc(name):
    """results/many_bosons/*.h5 (the pooled pair network) against the independent DMC:
    within 0.1% and within 3σ, made with the settings the table states."""
    particles, settings = MANY_BOSONS[name]
    result = fkdrift.load(RESULTS / "many_bosons" / f"{name}.h5")
    system = potentials.trapped_bosons(particles, 3.0)
    assert system.reference_source == "independent DMC"
    deviation = result.energy - system.exact_energy
    assert abs(deviation) < 1e-3 * system.exact_energy, result.summary()
    assert abs(deviation) < 3 * np.hypot(result.energy_error, system.reference_error)
    assert result.config.boson_network == "pooled"
    assert {k: getattr(result.config, k) for k in settings} == settings


@pytest.mark.parametrize("name", ["N8_g3", "N16_g3_default"])
def test_default_rows_used_the_default_settings(name):
    particles, _ = MANY_BOSONS[name]
    system = potentials.trapped_bosons(particles, 3.0)
    result = fkdrift.load(RESULTS / "many_bosons" / f"{name}.h5")
    # the defaults of their time: Euler reweighted moves (files before the option)
    then = fkdrift.Config(reweighted_moves="euler").for_system(system)
    assert result.config == then.replace(reweighted_dts=None)
