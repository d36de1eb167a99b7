"""Local energies of a trial function: E_L = V − ½|∇ log ψ|² − ½Δ log ψ.

For a gradient drift v = ∇ log ψ, Itô's formula turns the path energy into
ℓ_T = log ψ(r_T) − log ψ(r_0) + ∫ E_L dt (docs/method.md §2): these are the pieces.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array

from ._sde import PotentialFn

LogPsiFn = Callable[[Array], Array]
"""log ψ(r): (..., particles, dim) -> (...,)."""


def log_psi_terms(log_psi: LogPsiFn, r: Array) -> tuple[Array, Array, Array]:
    """log ψ: (W,), ∇ log ψ: (W, particles, dim) and Δ log ψ: (W,) at r: (W, particles,
    dim); the Laplacian is the trace of the forward-over-reverse Hessian (particles·dim
    Jacobian-vector products per walker)."""
    shape = r.shape[1:]

    def flat_log_psi(y: Array) -> Array:
        return log_psi(y.reshape(shape)[None])[0]

    def one(x: Array) -> tuple[Array, Array, Array]:
        flat = x.reshape(-1)
        value, grad = jax.value_and_grad(flat_log_psi)(flat)
        hessian = jax.jacfwd(jax.grad(flat_log_psi))(flat)
        return value, grad.reshape(shape), jnp.trace(hessian)

    return jax.vmap(one)(r)


def hutchinson_terms(log_psi: LogPsiFn, r: Array, key: Array, probes: int
                     ) -> tuple[Array, Array]:
    """∇ log ψ: (W, particles, dim) and an unbiased estimate of Δ log ψ: (W,) at r:
    (W, particles, dim): the mean of zᵀHz over `probes` Rademacher vectors z per walker
    (Hutchinson), one Hessian-vector product each instead of particles·dim."""
    shape = r.shape[1:]

    def flat_log_psi(y: Array) -> Array:
        return log_psi(y.reshape(shape)[None])[0]

    def one(x: Array, z: Array) -> tuple[Array, Array]:
        grad, hvp = jax.linearize(jax.grad(flat_log_psi), x.reshape(-1))  # grad once
        quads = jax.vmap(lambda v: jnp.dot(v, hvp(v)))(z)
        return grad.reshape(shape), jnp.mean(quads)

    z = jax.random.rademacher(key, (r.shape[0], probes, math.prod(shape)), r.dtype)
    return jax.vmap(one)(r, z)


def local_energies(log_psi: LogPsiFn, potential: PotentialFn, r: Array,
                   key: Array | None = None, probes: int = 0) -> Array:
    """E_L = V − ½|∇ log ψ|² − ½Δ log ψ at r: (W, particles, dim) -> (W,). With
    probes > 0 the Laplacian is Hutchinson's unbiased estimate from that many random
    vectors per walker (`hutchinson_terms`, needs `key`), else exact."""
    if probes:
        v, laplacian = hutchinson_terms(log_psi, r, key, probes)
    else:
        _, v, laplacian = log_psi_terms(log_psi, r)
    return (jax.vmap(potential)(r) - 0.5 * jnp.sum(v**2, axis=(-2, -1))
            - 0.5 * laplacian)
