"""Local energies of a trial function: E_L = V − ½|∇ log ψ|² − ½Δ log ψ.

For a gradient drift v = ∇ log ψ, Itô's formula turns the path energy into
ℓ_T = log ψ(r_T) − log ψ(r_0) + ∫ E_L dt (docs/method.md §2): these are the pieces.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
from jaxtyping import Array

from ._sde import PotentialFn

LogPsiFn = Callable[[Array], Array]
"""log ψ(r): (..., particles, dim) -> (...,)."""


Terms = tuple[Array, Array, Array]
"""(log ψ: (W,), ∇ log ψ: (W, particles, dim), Δ log ψ: (W,)) at walkers (W, particles, dim)."""


@dataclass(frozen=True)
class LogPsi:
    """A trial function log |ψ|(params, r: (..., particles, dim)) -> (...,), optionally
    with a faster route to its derivatives, terms(params, r: (W, particles, dim)) ->
    `Terms` (`drift.trial_log_psi` gives one for a distance network), and, for a ψ with
    nodes (fermions), its sign(params, r) -> (...,) in {−1, +1} (None: ψ > 0).
    vanishes: ψ is zero on surfaces (nodes, or the contact of a hard core), near which
    ∇ log |ψ| diverges. Called like the function."""

    value: Callable[[dict, Array], Array]
    terms: Callable[[dict, Array], Terms] | None = None
    sign: Callable[[dict, Array], Array] | None = None
    vanishes: bool = False

    def __call__(self, params: dict, r: Array) -> Array:
        return self.value(params, r)


@dataclass(frozen=True)
class BoundLogPsi:
    """A `LogPsi` at fixed parameters: log ψ(r), and its `terms(r)` (or None)."""

    log_psi: LogPsi
    params: dict

    def __call__(self, r: Array) -> Array:
        return self.log_psi.value(self.params, r)

    @property
    def terms(self) -> Callable[[Array], Terms] | None:
        fast = self.log_psi.terms
        return None if fast is None else (lambda r: fast(self.params, r))

    @property
    def sign(self) -> Callable[[Array], Array] | None:
        sign = self.log_psi.sign
        return None if sign is None else (lambda r: sign(self.params, r))

    @property
    def vanishes(self) -> bool:
        return self.log_psi.vanishes


def bind(log_psi: Callable[[dict, Array], Array], params: dict) -> LogPsiFn:
    """log ψ(r) = log_psi(params, r), keeping a `LogPsi`'s fast derivatives."""
    if isinstance(log_psi, LogPsi):
        return BoundLogPsi(log_psi, params)
    return lambda r: log_psi(params, r)


def log_psi_terms(log_psi: LogPsiFn, r: Array) -> Terms:
    """log ψ: (W,), ∇ log ψ: (W, particles, dim) and Δ log ψ: (W,) at r: (W, particles,
    dim): from the function's own `terms` where it has them (a `BoundLogPsi`), else the
    Laplacian as the trace of the forward-over-reverse Hessian (particles·dim
    Jacobian-vector products per walker)."""
    fast = getattr(log_psi, "terms", None)
    if fast is not None:
        return fast(r)
    shape = r.shape[1:]

    def flat_log_psi(y: Array) -> Array:
        return log_psi(y.reshape(shape)[None])[0]

    def one(x: Array) -> tuple[Array, Array, Array]:
        flat = x.reshape(-1)
        value, grad = jax.value_and_grad(flat_log_psi)(flat)
        hessian = jax.jacfwd(jax.grad(flat_log_psi))(flat)
        return value, grad.reshape(shape), jnp.trace(hessian)

    return jax.vmap(one)(r)


def feature_terms(network: Callable[[Array], Array], features: Callable[[Array], Array],
                  r: Array) -> Terms:
    """`Terms` of log ψ(x) = network(features(x)) at r: (W, particles, dim) by the chain
    rule through the F features: ∇ = Jᵀg and Δ = Σ_ab H_ab (∇φ_a·∇φ_b) + g·Δφ, with
    J = ∂φ/∂x: (F, particles·dim), g and H the network's gradient and Hessian in the
    features. features: x (particles, dim) -> (F,), cheap (no parameters); network:
    (F,) -> (). F Jacobian-vector products of the network instead of particles·dim: for
    helium's three distances about twice as fast as `log_psi_terms` (docs/method.md §7)."""
    shape = r.shape[1:]

    def one(x: Array) -> tuple[Array, Array, Array]:
        flat = x.reshape(-1)

        def phi(y: Array) -> Array:
            return features(y.reshape(shape))

        f = phi(flat)  # (F,)
        jacobian = jax.jacfwd(phi)(flat)  # (F, n)
        laplacians = jnp.trace(jax.hessian(phi)(flat), axis1=-2, axis2=-1)  # (F,)
        value, g = jax.value_and_grad(network)(f)
        hessian = jax.jacfwd(jax.grad(network))(f)  # (F, F)
        laplacian = jnp.sum((jacobian @ jacobian.T) * hessian) + g @ laplacians
        return value, (jacobian.T @ g).reshape(shape), laplacian

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
