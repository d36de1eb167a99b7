"""Harmonic oscillators: V = ½ Σ_i ω_i² x_i², E0 = Σ_i ω_i / 2 (per particle)."""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from fkdrift import FkdriftError, System


def harmonic(
    dim: int = 1,
    omega: float = 1.0,
    omegas: Sequence[float] | None = None,
    particles: int = 1,
) -> System:
    """Isotropic (ω) or anisotropic (`omegas`, one per axis) harmonic well in `dim` dims.

    Exact: E0 = particles · Σ_i ω_i/2; the density along axis i is Gaussian with variance
    1/(2ω_i).
    """
    if not isinstance(dim, int) or dim < 1:
        raise FkdriftError(f"harmonic needs a positive integer dim, got {dim!r}")
    w = np.full(dim, float(omega)) if omegas is None else np.asarray(omegas, float)
    if w.shape != (dim,) or not np.all(w > 0):
        raise FkdriftError(f"harmonic needs {dim} positive frequencies, got {w.tolist()}")
    w2 = jnp.asarray(w**2)

    def potential(r):
        return 0.5 * jnp.sum(w2 * r**2)

    density = {
        f"axis{i}": (lambda x, wi=wi: np.sqrt(wi / np.pi) * np.exp(-wi * np.asarray(x) ** 2))
        for i, wi in enumerate(w)
    }
    kwargs = {"dim": dim, "particles": particles}
    kwargs.update({"omega": float(omega)} if omegas is None else {"omegas": w.tolist()})
    return System(
        potential=potential,
        particles=particles,
        dim=dim,
        name="harmonic" if omegas is None else "anisotropic_harmonic",
        exact_energy=float(particles * w.sum() / 2),
        exact_density=density,
        source={"builtin": "harmonic", "kwargs": kwargs},
    )
