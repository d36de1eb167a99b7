"""Step refinement near Coulomb singularities (docs/method.md §5).

Euler steps overshoot a nucleus when √dt or Z·dt is comparable to the distance to it, which
makes the time-step bias large and non-linear. In evaluation the walkers instead take
physical steps g(r)·ds with g = min(1, (d/a)²) for every declared Coulomb pair at distance
d with Bohr radius a = 1/(2μ|q_a q_b|) times `Config.coulomb_refinement`: near a nucleus the
relative step size √(g ds)/d stays ≤ √ds/a, and V·g stays bounded.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .geometry import centre_squared_distances, pair_index, pair_squared_distances
from .sde import StepScaleFn, uniform_steps
from .system import System

SMALLEST_SCALE = 1e-6


def coulomb_step_scale(system: System, refinement: float) -> StepScaleFn:
    """g(r): (walkers, particles, dim) -> (walkers,) for `system` (uniform without Coulomb)."""
    if not system.coulomb or refinement <= 0:
        return uniform_steps
    q = np.asarray(system.particle_charge, float)
    nuclei = jnp.asarray(system.nuclei, float)
    Z = np.asarray(system.nuclear_charges, float)
    radius_n = refinement / (2.0 * np.abs(q[:, None] * Z[None, :]) + 1e-300)  # (P, K), μ = 1
    P = system.particles
    i, j = pair_index(P)
    radius_p = refinement / (np.abs(q[i] * q[j]) + 1e-300)  # μ = 1/2

    def step_scale(r: Array) -> Array:
        scale = jnp.ones(r.shape[0], dtype=r.dtype)
        if len(Z):
            d2 = centre_squared_distances(r, nuclei)  # (W, P, K)
            scale = jnp.minimum(scale, jnp.min(d2 / jnp.asarray(radius_n) ** 2, axis=(1, 2)))
        if P > 1:
            d2 = pair_squared_distances(r)  # (W, pairs)
            scale = jnp.minimum(scale, jnp.min(d2 / jnp.asarray(radius_p) ** 2, axis=1))
        return jnp.clip(scale, SMALLEST_SCALE, 1.0)

    return step_scale
