"""Gradient drifts v = ∇ log ψ_θ: a learned trial function whose gradient drives the SDE.

With v a gradient, Itô's formula turns the path energy into
ℓ_T = log ψ(r_T) − log ψ(r_0) + ∫ E_L dt with the local energy
E_L = V − ½|∇ log ψ|² − ½Δ log ψ, and the SDE's stationary law is |ψ|² (docs/method.md §2).
Training then needs only local energies at stationary walkers, and the reweighted stage
uses log ψ itself as its boundary function.

* `MLPLogPsi` — distinguishable particles: an MLP on the coordinates and their smooth
  invariant distances, minus a learnable confinement ½ Σ c_k x_k² (c ≥ 0).
* `DistanceLogPsi` — particles around fixed centres (atoms, molecules): an MLP on the
  smooth pair and particle–centre distances alone, so log ψ is invariant under every
  rotation and reflection that fixes the centres, as a nodeless ground state is.
* `PairLogPsi` — identical bosons: log ψ = −½c Σ|r_i|² + Σ_i F(r_i, Σ_{j≠i} G(r_i − r_j)),
  exactly permutation-invariant, so its gradient is exactly equivariant.
* `PooledLogPsi` — identical bosons at larger N: smooth radial pair features pooled per
  particle and a pair Jastrow, one MLP per particle (cost nearly linear in N).
* `GradientDrift` — the drift module: v(r) = ∇_r log ψ(r); `log_psi` gives log ψ itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._networks import MLP, confinement_strength, flat_inputs, invariant_features


class MLPLogPsi(nn.Module):
    """log ψ for distinguishable particles. r: (..., particles, dim) -> (...,).

    An MLP (zero output layer) reads the flattened coordinates and, with
    `distance_features`, their smooth distances (`networks.flat_inputs`); the
    confinement −½ Σ_k c_k x_k² starts at c = `confinement` (1: the harmonic ground state).
    """

    particles: int
    dim: int
    width: int = 64
    depth: int = 2
    confinement: float = 1.0
    dtype: jnp.dtype = jnp.float32
    distance_features: bool = False
    centres: Sequence[Sequence[float]] = ()

    @nn.compact
    def __call__(self, r: Array) -> Array:
        n = self.particles * self.dim
        x, inputs = flat_inputs(r, self.distance_features, self.centres)
        c = confinement_strength(self, self.confinement, (n,))
        net = MLP(self.width, self.depth, 1, self.dtype)(inputs.astype(self.dtype))[..., 0]
        return net.astype(r.dtype) - 0.5 * jnp.sum(c.astype(r.dtype) * x**2, -1)


class NetworkFields(nn.Module):
    """The fields shared by the networks around fixed centres: sizes, the starting
    confinement, the network dtype and the `centres` (K, dim)."""

    particles: int
    dim: int
    width: int = 64
    depth: int = 2
    confinement: float = 1.0
    dtype: jnp.dtype = jnp.float32
    centres: Sequence[Sequence[float]] = ()


class DistanceLogPsi(NetworkFields):
    """log ψ of particles around fixed `centres` (K ≥ 1, (K, dim)) as a function of their
    distances only. r: (..., particles, dim) -> (...,).

    log ψ = F(φ(r)) − ½ c Σ_i |r_i − R̄|², φ the smooth distance features log(1 + d²) of
    every particle pair and particle–centre pair (`networks.invariant_features`), F an MLP
    (zero output layer), c ≥ 0 a scalar and R̄ the mean centre. The distances fix a
    configuration up to the rotations and reflections that fix every centre, so F can
    represent any function invariant under them, and the unique nodeless ground state of
    a Hamiltonian with that symmetry is one; the network need not learn the invariance
    from samples (helium: σ_L² 0.0021 against 0.0056 for `MLPLogPsi` after the same
    training, benchmarks/README.md). Smooth at coincidence, so the analytic cusps stay
    exact. With few features its Laplacian is cheaper through them (`of_features`,
    `drift.trial_log_psi`). Not for a potential that breaks the symmetry (an external
    field): `NetworkConfig.features = "coordinates"` then.
    """


    def setup(self) -> None:
        self.network = MLP(self.width, self.depth, 1, self.dtype)
        self.strength = confinement_strength(self, self.confinement, ())

    def features(self, r: Array) -> Array:
        """φ(r): (..., F) for r: (..., particles, dim)."""
        return invariant_features(r, jnp.asarray(self.centres, r.dtype))

    def of_features(self, features: Array) -> Array:
        """F(φ): (...,) for features: (..., F)."""
        out = self.network(features.astype(self.dtype))[..., 0]
        return out.astype(features.dtype)

    def confinement_terms(self, r: Array) -> tuple[Array, Array, Array]:
        """The confinement −½ c Σ|r_i − R̄|², its gradient and its Laplacian at r:
        (W, particles, dim): ((W,), (W, particles, dim), (W,))."""
        c = self.strength.astype(r.dtype)
        centred = r - jnp.mean(jnp.asarray(self.centres, r.dtype), axis=0)
        value = -0.5 * c * jnp.sum(centred**2, (-2, -1))
        return value, -c * centred, jnp.full(value.shape, -c * r.shape[-2] * r.shape[-1])

    def __call__(self, r: Array) -> Array:
        return self.of_features(self.features(r)) + self.confinement_terms(r)[0]


class BosonLogPsi(NetworkFields):
    """The base of the boson trial networks (`PairLogPsi`, `PooledLogPsi`)."""


class PairLogPsi(BosonLogPsi):
    """Permutation-invariant log ψ for identical bosons. r: (..., particles, dim) -> (...,).

    log ψ = −½c Σ_i |r_i|² + Σ_i F(r_i, |r_i|², n_i, Σ_{j≠i} G(r_i − r_j, |r_i − r_j|²))
    with c ≥ 0 shared by all particles and n_i the smooth distances to `centres`.
    """

    @nn.compact
    def __call__(self, r: Array) -> Array:
        x = r.astype(self.dtype)
        P = self.particles
        node = [x, jnp.sum(x**2, -1, keepdims=True)]
        if P > 1:
            i, j = np.nonzero(~np.eye(P, dtype=bool))  # ordered pairs, partners contiguous
            diff = x[..., i, :] - x[..., j, :]  # (..., P(P−1), D)
            h = jnp.concatenate([diff, jnp.sum(diff**2, -1, keepdims=True)], -1)
            for _ in range(self.depth):
                h = jnp.tanh(nn.Dense(self.width, dtype=self.dtype, param_dtype=self.dtype)(h))
            node.append(jnp.sum(h.reshape(*h.shape[:-2], P, P - 1, h.shape[-1]), axis=-2))
        if len(self.centres):
            centres = jnp.asarray(self.centres, self.dtype)  # (K, D)
            node.append(jnp.log1p(jnp.sum((x[..., :, None, :] - centres) ** 2, -1)))
        per_particle = MLP(self.width, self.depth, 1, self.dtype)(jnp.concatenate(node, -1))
        c = confinement_strength(self, self.confinement, ())
        return (jnp.sum(per_particle[..., 0], -1).astype(r.dtype)
                - 0.5 * c.astype(r.dtype) * jnp.sum(r**2, (-2, -1)))


class PooledLogPsi(BosonLogPsi):
    """Permutation-invariant log ψ for identical bosons whose cost per walker grows nearly
    linearly in N at fixed width. r: (..., particles, dim) -> (...,).

    log ψ = −½c Σ_i |r_i|² + ½ Σ_i a·S_i + Σ_i F(r_i, |r_i|², n_i, S_i), with the pooled
    pair features S_i = Σ_{j≠i} φ(|r_i − r_j|²): (basis,), φ_m(d²) = exp(−d²/s_m²) smooth
    radial functions with learned widths s_m (started geometrically from 0.25 to 4),
    a·φ a learned pair Jastrow, F one MLP per particle and n_i the smooth distances to
    `centres`. A pair costs `basis` exponentials and no dense layer (`PairLogPsi` runs an
    MLP on every pair): its walker-step grows far more slowly with N
    (benchmarks/PARTICLES.md).
    """

    basis: int = 8

    @nn.compact
    def __call__(self, r: Array) -> Array:
        x = r.astype(self.dtype)
        P = self.particles
        node = [x, jnp.sum(x**2, -1, keepdims=True)]
        jastrow = jnp.zeros(r.shape[:-2], self.dtype)
        if P > 1:
            log_widths = self.param(
                "log_widths", lambda _: jnp.log(jnp.geomspace(0.25, 4.0, self.basis)
                                                ).astype(self.dtype))
            pooled = jax.checkpoint(pooled_pair_features)(x, jnp.exp(-2 * log_widths))
            a = self.param("pair_jastrow", nn.initializers.zeros, (self.basis,), self.dtype)
            jastrow = 0.5 * jnp.sum(pooled @ a, -1)
            node.append(pooled)
        if len(self.centres):
            centres = jnp.asarray(self.centres, self.dtype)  # (K, D)
            node.append(jnp.log1p(jnp.sum((x[..., :, None, :] - centres) ** 2, -1)))
        per_particle = MLP(self.width, self.depth, 1, self.dtype)(jnp.concatenate(node, -1))
        c = confinement_strength(self, self.confinement, ())
        return ((jnp.sum(per_particle[..., 0], -1) + jastrow).astype(r.dtype)
                - 0.5 * c.astype(r.dtype) * jnp.sum(r**2, (-2, -1)))


def pooled_pair_features(x: Array, inverse_squared_widths: Array) -> Array:
    """S_im = Σ_{j≠i} exp(−|x_i − x_j|² w_m). x: (..., P, D), w: (M,) -> (..., P, M).

    The pairs are laid out as (P, P) planes per coordinate and per basis function, so the
    inner loops run along particles (a trailing axis of D = 2 or M = 8 vectorises badly,
    benchmarks/PARTICLES.md). The diagonal exp(0) = 1 is
    exact and subtracted instead of masked. `PooledLogPsi` wraps this in `jax.checkpoint`
    so the reverse pass recomputes the (M, P, P) exponentials instead of storing them.
    """
    xt = jnp.swapaxes(x, -1, -2)  # (..., D, P)
    squared = jnp.sum((xt[..., :, :, None] - xt[..., :, None, :]) ** 2, -3)  # (..., P, P)
    phi = jnp.exp(-squared[..., None, :, :] * inverse_squared_widths[:, None, None])
    return jnp.swapaxes(jnp.sum(phi, -1), -1, -2) - 1.0  # (..., P, M)


class GradientDrift(nn.Module):
    """The drift v = ∇_r log ψ(r) of a scalar network. r: (..., particles, dim) -> same.

    log_psi: a module r: (..., particles, dim) -> (...,) (`MLPLogPsi`, `PairLogPsi`).
    """

    log_psi: nn.Module

    def __call__(self, r: Array) -> Array:
        return nn.grad(lambda module, x: jnp.sum(module(x)), self.log_psi, r)[0]

    def value(self, r: Array) -> Array:
        """log ψ(r): (...,)."""
        return self.log_psi(r)
