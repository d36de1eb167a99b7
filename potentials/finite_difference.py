"""Reference ground-state energies by finite differences (independent of fkdrift).

The lowest eigenvalue of H = −½∇² + V on a uniform grid covering the box [−L, L]^d
(d = 1, 2, 3) with Dirichlet walls. The Laplacian is the Kronecker sum of the 1D
central-difference second-derivative matrix of order 2, 4, 6 or 8 (a wide stencil simply
drops the points beyond the wall, i.e. ψ = 0 there); the eigenvalue comes from
`scipy.sparse.linalg.eigsh`. Two grids with spacings h and h/2 are combined by Richardson
extrapolation, E ≈ E(h/2) + (E(h/2) − E(h)) / (2^p − 1) for a stencil of order p, and the
size of that correction is the error estimate.

The box must be wide enough that φ0 is negligible at the walls (the error estimate does
not see a box that is too small: check by widening it).

    from potentials.finite_difference import ground_state_energy
    ref = ground_state_energy(lambda x: 0.5 * np.sum(x**2, axis=-1), dim=2, half_width=7.0)
    ref.energy, ref.error              # 1.0 to ~1e-9, and an estimate of that error

SciPy is needed (it is in the `test` extra); it is imported when the function runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from fkdrift import FkdriftError

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

STENCILS: dict[int, tuple[Fraction, ...]] = {
    2: (Fraction(-2), Fraction(1)),
    4: (Fraction(-5, 2), Fraction(4, 3), Fraction(-1, 12)),
    6: (Fraction(-49, 18), Fraction(3, 2), Fraction(-3, 20), Fraction(1, 90)),
    8: (Fraction(-205, 72), Fraction(8, 5), Fraction(-1, 5), Fraction(8, 315),
        Fraction(-1, 560)),
}
"""Central second-difference weights by order p, (c0, c1, ..., c_{p/2}):
f''(x) ≈ (c0 f(x) + Σ_k c_k [f(x + kh) + f(x − kh)]) / h²."""


@dataclass(frozen=True)
class FDEnergy:
    """A finite-difference ground-state energy.

    Attributes:
        energy: Richardson-extrapolated E0.
        error: |extrapolated − finest-grid value|, the estimated discretisation error
            (plus the eigensolver tolerance); it does not include box truncation.
        spacings: (2,) grid spacings h and h/2.
        energies: (2,) lowest eigenvalue on each grid.
        order: order p of the stencil.
        points: (2,) grid points per axis of the two grids.
    """

    energy: float
    error: float
    spacings: tuple[float, float]
    energies: tuple[float, float]
    order: int
    points: tuple[int, int]


def _scipy():
    """scipy.sparse and scipy.sparse.linalg, or a one-line FkdriftError."""
    try:
        import scipy.sparse as sparse
        import scipy.sparse.linalg as linalg
    except ImportError as exc:
        raise FkdriftError(
            "finite-difference references need scipy: pip install scipy (or '.[test]')"
        ) from exc
    return sparse, linalg


def second_difference(n: int, h: float, order: int = 6) -> csr_matrix:
    """The (n, n) sparse matrix of d²/dx² on n interior points (spacing h, ψ = 0 outside)."""
    if order not in STENCILS:
        raise FkdriftError(f"stencil order must be one of {sorted(STENCILS)}, got {order!r}")
    sparse, _ = _scipy()
    weights = [float(c) / h**2 for c in STENCILS[order]]
    offsets = [k for k in range(-len(weights) + 1, len(weights)) if abs(k) < n]
    diagonals = [np.full(n - abs(k), weights[abs(k)]) for k in offsets]
    return sparse.diags(diagonals, offsets, shape=(n, n), format="csr")


def laplacian(n: int, h: float, dim: int, order: int = 6) -> csr_matrix:
    """The (n^dim, n^dim) Laplacian: Kronecker sum Σ_i I ⊗ … ⊗ D2 (axis i) ⊗ … ⊗ I."""
    sparse, _ = _scipy()
    d2 = second_difference(n, h, order)
    eye = sparse.identity(n, format="csr")
    total = sparse.csr_matrix((n**dim, n**dim))
    for i in range(dim):
        term = d2 if i == 0 else eye
        for j in range(1, dim):
            term = sparse.kron(term, d2 if j == i else eye, format="csr")
        total = total + term
    return total


def hamiltonian(potential: Callable[[np.ndarray], np.ndarray], dim: int, half_width: float,
                n: int, order: int = 6) -> tuple[csr_matrix, float]:
    """Sparse H = −½∇² + V on n^dim interior points of [−L, L]^dim (C order, x slowest).

    potential: points (m, dim) -> (m,) values, NumPy-vectorised.
    Returns (H as a CSR matrix of shape (n^dim, n^dim), grid spacing h).
    """
    sparse, _ = _scipy()
    h = 2.0 * half_width / (n + 1)
    axis = -half_width + h * np.arange(1, n + 1)
    points = np.stack(np.meshgrid(*([axis] * dim), indexing="ij"), axis=-1).reshape(-1, dim)
    values = np.asarray(potential(points), dtype=float).reshape(-1)
    if values.shape != (n**dim,) or not np.all(np.isfinite(values)):
        raise FkdriftError(
            f"potential must map points ({n**dim}, {dim}) to finite values ({n**dim},)"
        )
    return (-0.5 * laplacian(n, h, dim, order) + sparse.diags(values)).tocsr(), h


def lowest_eigenpair(matrix: csr_matrix, start: np.ndarray | None = None,
                     tol: float = 1e-10) -> tuple[float, np.ndarray]:
    """Smallest eigenvalue and its eigenvector (m,) of a symmetric sparse (m, m) matrix.

    Lanczos (`eigsh`, which='SA'); `start` (m,) is the initial vector (default: all ones,
    which overlaps the nodeless ground state), so the result is repeatable.
    """
    _, linalg = _scipy()
    size = matrix.shape[0]
    v0 = np.ones(size) if start is None else np.abs(start) + 1e-8 * np.abs(start).max()
    values, vectors = linalg.eigsh(matrix, k=1, which="SA", v0=v0, tol=tol,
                                   ncv=min(size, 24), maxiter=100 * size)
    return float(values[0]), vectors[:, 0]


def prolong(vector: np.ndarray, n: int, dim: int) -> np.ndarray:
    """Interpolate a grid function from n to 2n + 1 interior points per axis.

    vector: (n^dim,) in C order -> ((2n + 1)^dim,). Fine point 2i + 1 is coarse point i;
    the points between are linear interpolations (zero beyond the walls).
    """
    grid = vector.reshape((n,) * dim)
    for axis in range(dim):
        grid = np.moveaxis(grid, axis, 0)
        padded = np.concatenate([np.zeros((1, *grid.shape[1:])), grid,
                                 np.zeros((1, *grid.shape[1:]))])
        fine = np.empty((2 * n + 1, *grid.shape[1:]))
        fine[1::2] = grid
        fine[0::2] = 0.5 * (padded[:-1] + padded[1:])
        grid = np.moveaxis(fine, 0, axis)
    return grid.reshape(-1)


def ground_state_energy(potential: Callable[[np.ndarray], np.ndarray], dim: int = 1,
                        half_width: float = 8.0, points: int | None = None,
                        order: int = 6) -> FDEnergy:
    """Lowest eigenvalue of −½∇² + V in [−L, L]^dim (Dirichlet), Richardson-extrapolated.

    Args:
        potential: V at points (m, dim) -> (m,), NumPy-vectorised.
        dim: 1, 2 or 3.
        half_width: L; the box must hold φ0 (it is ~0 at the walls).
        points: interior points per axis of the coarse grid (the fine grid has 2·points + 1,
            spacing halved). Default 400 (1D), 60 (2D), 20 (3D).
        order: stencil order, 2, 4, 6 or 8.
    """
    if dim not in (1, 2, 3):
        raise FkdriftError(f"finite differences need dim 1, 2 or 3, got {dim!r}")
    if not half_width > 0:
        raise FkdriftError(f"half_width must be positive, got {half_width!r}")
    n_coarse = points if points is not None else {1: 400, 2: 60, 3: 20}[dim]
    if n_coarse < len(STENCILS.get(order, ())):
        raise FkdriftError(f"need more grid points than the stencil width, got {n_coarse}")
    grids = (n_coarse, 2 * n_coarse + 1)
    energies, spacings, start = [], [], None
    for n in grids:
        matrix, h = hamiltonian(potential, dim, half_width, n, order)
        value, vector = lowest_eigenpair(matrix, start)
        energies.append(value)
        spacings.append(h)
        start = prolong(vector, n, dim)
    coarse, fine = energies
    correction = (fine - coarse) / (2**order - 1)
    error = abs(correction) + 1e-11 * max(1.0, abs(fine))
    return FDEnergy(energy=fine + correction, error=error, spacings=tuple(spacings),
                    energies=tuple(energies), order=order, points=grids)
