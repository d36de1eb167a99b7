"""Building blocks of the drift and trial networks (a leaf module): the tanh MLP with a
zero output layer, the non-negative confinement strength and smooth distance features."""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._geometry import centre_squared_distances, pair_squared_distances


def _softplus_inverse(x: float) -> float:
    return float(np.log(np.expm1(x)))


SMALLEST_CONFINEMENT = 1e-3


def confinement_strength(module: nn.Module, init: float, shape: tuple[int, ...]) -> Array:
    """Strength c ≥ 0 of the linear skip −c·r, as c = softplus(parameter "confinement").

    Kept non-negative: an outward linear drift lets walkers escape exponentially, and the
    boundary term of the loss then rewards the escape (seen on helium)."""
    raw = module.param("confinement", nn.initializers.constant(
        _softplus_inverse(max(init, SMALLEST_CONFINEMENT))), shape)
    return nn.softplus(raw)


class MLP(nn.Module):
    """tanh MLP with a zero-initialised output layer."""

    width: int
    depth: int
    out: int
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x: Array) -> Array:
        for _ in range(self.depth):
            x = jnp.tanh(nn.Dense(self.width, dtype=self.dtype, param_dtype=self.dtype)(x))
        zero = nn.initializers.zeros
        return nn.Dense(
            self.out, dtype=self.dtype, param_dtype=self.dtype, kernel_init=zero, bias_init=zero
        )(x)


def invariant_features(r: Array, centres: Array | None) -> Array:
    """Smooth distance features log(1 + d²) of every particle pair and particle–centre pair.

    r: (..., particles, dim); centres: (K, dim) or None. Returns (..., F) with
    F = P(P−1)/2 + P·K. Smooth at contact (unlike d), so the learned correction stays smooth
    and leaves the analytic cusps exact; a network sees the distances that Coulomb and
    pair correlations depend on without having to build norms out of tanh units.
    """
    columns = []
    P = r.shape[-2]
    if P > 1:
        columns.append(pair_squared_distances(r))
    if centres is not None and len(centres):
        d2 = centre_squared_distances(r, centres)  # (..., P, K)
        columns.append(d2.reshape(*r.shape[:-2], -1))
    if not columns:
        return jnp.zeros((*r.shape[:-2], 0), r.dtype)
    return jnp.log1p(jnp.concatenate(columns, -1))


def flat_inputs(r: Array, distance_features: bool, centres) -> tuple[Array, Array]:
    """The flattened coordinates x: (..., particles·dim) of r: (..., particles, dim) and
    the network input: x, followed with `distance_features` by the smooth distances of
    `invariant_features` (pairs, and particles to `centres`: (K, dim) nested sequences)."""
    x = r.reshape(*r.shape[:-2], r.shape[-2] * r.shape[-1])
    if not distance_features:
        return x, x
    centres = jnp.asarray(centres, r.dtype).reshape(-1, r.shape[-1])
    return x, jnp.concatenate([x, invariant_features(r, centres)], -1)
