"""Distances between particles and to fixed centres (a leaf module: NumPy or JAX arrays).

Every function works on configurations r: (..., particles, dim) of either array type with
plain arithmetic, so the same code serves the jitted drift and the host-side statistics.
"""

from __future__ import annotations

from functools import cache

import jax
import jax.numpy as jnp
import numpy as np


@cache
def pair_index(particles: int) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) of the particle pairs i < j, row-major: P(P−1)/2 of each."""
    return np.triu_indices(particles, 1)


def pair_separations(r):
    """r_i − r_j for i < j: (..., P(P−1)/2, dim)."""
    i, j = pair_index(r.shape[-2])
    return r[..., i, :] - r[..., j, :]


def pair_squared_distances(r):
    """|r_i − r_j|² for i < j: (..., P(P−1)/2)."""
    return (pair_separations(r) ** 2).sum(-1)


def centre_separations(r, centres):
    """r_p − R_k for every particle and centre: (..., P, K, dim); centres: (K, dim)."""
    return r[..., :, None, :] - centres


def centre_squared_distances(r, centres):
    """|r_p − R_k|²: (..., P, K)."""
    return (centre_separations(r, centres) ** 2).sum(-1)


def array_namespace(x):
    """jax.numpy for a JAX array (or tracer), NumPy otherwise: the module whose functions
    (sqrt, concatenate, ...) keep `x`'s array type."""
    return jnp if isinstance(x, jax.Array) else np


def pair_distances(r):
    """|r_i − r_j| for i < j: (..., P(P−1)/2)."""
    return array_namespace(r).sqrt(pair_squared_distances(r))


def centre_distances(r, centres):
    """|r_p − R_k|: (..., P, K)."""
    return array_namespace(r).sqrt(centre_squared_distances(r, centres))
