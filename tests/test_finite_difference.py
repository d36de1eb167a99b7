"""The finite-difference reference solver (potentials/finite_difference.py) against closed
forms: it is the independent check of the user-potential benchmarks, so it must be right."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from fkdrift._errors import FkdriftError
from potentials.finite_difference import (
    STENCILS,
    ground_state_energy,
    hamiltonian,
    lowest_eigenpair,
    prolong,
)

QUARTIC_E0 = 0.6679862591557771  # −½d²/dx² + x⁴, known to many digits


def harmonic(omegas):
    """½ Σ ω_i² x_i² on points (m, dim) -> (m,)."""
    w2 = np.asarray(omegas, float) ** 2
    return lambda x: 0.5 * np.sum(w2 * x**2, axis=-1)


def assert_matches(ref, exact: float, tol: float) -> None:
    """Within `tol` of the closed form, and the error estimate covers the deviation."""
    assert abs(ref.energy - exact) < tol, (ref, exact)
    assert abs(ref.energy - exact) <= ref.error, (ref, exact)


@pytest.mark.parametrize("omega", [1.0, 2.0])
def test_harmonic_1d(omega):
    ref = ground_state_energy(harmonic([omega]), dim=1, half_width=8.0)
    assert_matches(ref, omega / 2, 1e-9)


def test_quartic_1d():
    ref = ground_state_energy(lambda x: x[:, 0] ** 4, dim=1, half_width=5.0, points=200)
    assert_matches(ref, QUARTIC_E0, 1e-9)


def test_poschl_teller_negative_energy():
    """V = −λ(λ+1)/2 · sech²x, λ = 2: E0 = −λ²/2 = −2 (slow exp(−2|x|) tails)."""
    ref = ground_state_energy(lambda x: -3.0 / np.cosh(x[:, 0]) ** 2, dim=1, half_width=14.0,
                              points=300)
    assert_matches(ref, -2.0, 1e-9)


def test_morse_asymmetric():
    """V = D(1 − e^{−ax})², D = 8, a = ½: ω = a√(2D) = 2, E0 = ω/2 − ω²/(16D) = 0.96875."""
    ref = ground_state_energy(lambda x: 8.0 * (1.0 - np.exp(-0.5 * x[:, 0])) ** 2, dim=1,
                              half_width=6.0, points=200)
    assert_matches(ref, 0.96875, 1e-9)


def test_anisotropic_2d():
    ref = ground_state_energy(harmonic([1.0, 1.7]), dim=2, half_width=7.0, points=40, order=8)
    assert_matches(ref, 1.35, 1e-7)


def test_coupled_2d_normal_modes():
    """Non-separable ½ rᵀKr: E0 = ½ Σ √eig(K)."""
    K = np.array([[1.0, 0.4], [0.4, 2.0]])
    exact = 0.5 * np.sqrt(np.linalg.eigvalsh(K)).sum()
    ref = ground_state_energy(lambda x: 0.5 * np.einsum("mi,ij,mj->m", x, K, x), dim=2,
                              half_width=7.0, points=40, order=8)
    assert_matches(ref, exact, 1e-7)


def test_anisotropic_3d():
    ref = ground_state_energy(harmonic([1.0, 1.5, 2.0]), dim=3, half_width=4.5, points=14,
                              order=8)
    assert_matches(ref, 2.25, 1e-5)


@pytest.mark.parametrize("order", sorted(STENCILS))
def test_stencil_converges_at_its_order(order):
    """Halving h divides the error by 2^p: a wrong stencil weight shows up as order ≤ 2."""
    errors = []
    for n in (39, 79, 159):
        matrix, _ = hamiltonian(lambda x: x[:, 0] ** 4, 1, 5.0, n, order)
        errors.append(lowest_eigenpair(matrix)[0] - QUARTIC_E0)
    observed = np.log2(errors[1] / errors[2])
    assert abs(observed - order) < 0.35, (order, errors)


def test_too_small_box_is_visible():
    """Dirichlet walls at ±1.5 squeeze the oscillator: E0 rises far beyond the error bar
    (which, as documented, does not include the box)."""
    ref = ground_state_energy(harmonic([1.0]), dim=1, half_width=1.5, points=100)
    assert ref.energy - 0.5 > 1e-2
    assert ref.energy - 0.5 > 1e3 * ref.error


def test_prolong_interpolates_linearly():
    n = 5
    coarse = np.arange(1, n + 1, dtype=float)  # values at coarse points 1..n (walls at 0, n+1)
    fine = prolong(coarse, n, 1)
    expected = np.arange(1, 2 * n + 2) / 2
    expected[-1] = n / 2  # between the last coarse point and the wall (0)
    np.testing.assert_allclose(fine, expected)
    grid2 = prolong(np.outer(coarse, coarse).ravel(), n, 2).reshape(2 * n + 1, 2 * n + 1)
    np.testing.assert_allclose(grid2, np.outer(fine, fine))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dim": 4}, "dim 1, 2 or 3"),
    ({"order": 3}, "stencil order"),
    ({"half_width": -1.0}, "half_width"),
    ({"points": 2}, "grid points"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(FkdriftError, match=message):
        ground_state_energy(harmonic([1.0]), **{"dim": 1, **kwargs})


def test_non_finite_potential_rejected():
    with pytest.raises(FkdriftError, match="finite"):
        ground_state_energy(lambda x: np.where(x[:, 0] > 0, 1.0, np.inf), dim=1, points=20)


def test_missing_scipy_is_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    with pytest.raises(FkdriftError, match="need scipy") as info:
        ground_state_energy(harmonic([1.0]), dim=1, points=20)
    assert "\n" not in str(info.value)
