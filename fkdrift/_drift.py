"""Drift networks v_θ(r) for configurations r: (..., particles, dim).

* `MLPDrift` — distinguishable particles: an MLP on the flattened coordinates, plus a
  learnable confining skip −c·r (c ≥ 0) (the Ornstein–Uhlenbeck drift) and a zero-initialised
  output layer, so training starts from a confining drift.
* `PairDrift` — identical bosons: v_i = −c·r_i + F(r_i, Σ_{j≠i} G(r_i − r_j)), exactly
  permutation-equivariant, v(P r) = P v(r).
* `CuspDrift` — the exact Kato cusp terms of declared Coulomb pairs and the factors that
  vanish at a hard core (`core`), added analytically (see docs/method.md §3); the
  networks above learn a smooth correction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._core import PairCores, core_terms
from ._local_energy import LogPsi, Terms, feature_terms
from ._networks import (  # noqa: F401 (re-exported: the drift's building blocks)
    MLP,
    SMALLEST_CONFINEMENT,
    _softplus_inverse,
    confinement_strength,
    flat_inputs,
    invariant_features,
)
from ._trial import (
    DistanceLogPsi,
    GradientDrift,
    NetworkFields,
)


class MLPDrift(nn.Module):
    """Drift for distinguishable particles. r: (..., particles, dim) -> same shape.

    The MLP reads the flattened coordinates and, with `distance_features`, the smooth
    invariant distances of `invariant_features` (pairs, and particles to `centres`).
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
        net = MLP(self.width, self.depth, n, self.dtype)(inputs.astype(self.dtype))
        v = -c.astype(r.dtype) * x + net.astype(r.dtype)
        return v.reshape(r.shape)


class PairDrift(NetworkFields):
    """Permutation-equivariant drift for identical bosons. r: (..., particles, dim).

    v_i = −c r_i + F(r_i, n_i, Σ_{j≠i} G(r_i − r_j, |r_i − r_j|²)), with c a scalar shared
    by all particles, so relabelling the particles relabels the drift. With `centres`
    (fixed points such as nuclei, (K, dim)) each particle also reads its smooth distances
    n_i = log(1 + |r_i − R_K|²) to them. A two-electron singlet (He, H2) has a spatially
    symmetric ground state, so it may be declared as bosons; on H2 that learned faster per
    update but cost more per update, no gain at equal time (README), so the built-in
    `helium` and `h2` keep the distinguishable network.
    """

    @nn.compact
    def __call__(self, r: Array) -> Array:
        x = r.astype(self.dtype)
        P = self.particles
        # only the P(P−1) ordered pairs i ≠ j, row-major in i: partners of i are contiguous
        i, j = np.nonzero(~np.eye(P, dtype=bool))
        diff = x[..., i, :] - x[..., j, :]  # (..., P(P−1), D)
        h = jnp.concatenate([diff, jnp.sum(diff**2, -1, keepdims=True)], -1)
        for _ in range(self.depth):
            h = jnp.tanh(nn.Dense(self.width, dtype=self.dtype, param_dtype=self.dtype)(h))
        pooled = jnp.sum(h.reshape(*h.shape[:-2], P, P - 1, h.shape[-1]), axis=-2)  # (..., P, W)
        node = [x, pooled]
        if len(self.centres):
            centres = jnp.asarray(self.centres, self.dtype)  # (K, D)
            node.append(jnp.log1p(jnp.sum((x[..., :, None, :] - centres) ** 2, -1)))
        node_in = jnp.concatenate(node, -1)
        net = MLP(self.width, self.depth, self.dim, self.dtype)(node_in)
        c = confinement_strength(self, self.confinement, ())
        return -c.astype(r.dtype) * r + net.astype(r.dtype)


class CuspDrift(nn.Module):
    """Exact Coulomb cusp terms plus a learned smooth drift. r: (..., particles, dim).

    For a pair with charges q_a, q_b and reduced mass μ in d dimensions Kato's condition
    fixes ∂ log φ0/∂r_ab → a = 2μ q_a q_b/(d − 1) at contact. Each pair contributes the
    drift of u(r) = a r / (1 + b r): a r̂ /(1 + b r)², exact at contact and decaying with a
    learnable range 1/b (b > 0 through a softplus). The cusp part is a gradient field,
    v_c = ∇f_c with f_c = Σ u; `cusp_terms` gives f_c, v_c and Δf_c in closed form.

    Attributes:
        nuclei: (K, dim) fixed point charges; nuclear_charges: (K,).
        particle_charges: (particles,).
        pair_factors: (particles, particles) factors of each pair's cusp (empty: all 1);
            (d − 1)/(d + 1) for two fermions of equal spin, whose ψ vanishes at contact
            (¼ for electrons in 3D; `pair_factors`).
        core_strength, core_power: (particles, particles) hard cores V ≈ C/r^n between
            pairs (empty: none); their factor `core.core_terms` makes ψ vanish at
            contact as the pair's Schrödinger equation requires, with a learnable range.
    """

    smooth: nn.Module
    dim: int
    nuclei: Sequence[Sequence[float]]
    nuclear_charges: Sequence[float]
    particle_charges: Sequence[float]
    nuclear_range: float = 1e-3
    pair_range: float = 1.0
    pair_factors: Sequence[Sequence[float]] = ()
    core_strength: Sequence[Sequence[float]] = ()
    core_power: Sequence[Sequence[float]] = ()

    @nn.compact
    def __call__(self, r: Array) -> Array:
        v = self.smooth(r)
        if len(self.nuclear_charges):
            self.param("nuclear_range", nn.initializers.constant(
                _softplus_inverse(self.nuclear_range)), (len(self.nuclear_charges),))
        if len(self.particle_charges) > 1:
            self.param("pair_range", nn.initializers.constant(
                _softplus_inverse(self.pair_range)), ())
        if len(self.core_strength):
            self.param("core_range", nn.initializers.constant(_softplus_inverse(1.0)), ())
        return v + self.cusp_terms(r)[1]

    def cusp_terms(self, r: Array) -> tuple[Array, Array, Array]:
        """The analytic cusp part for r: (..., particles, dim): its log f_c: (...,), its
        drift v_c = ∇f_c: (..., particles, dim) and its Laplacian Δf_c: (...,).

        Call through `model.apply(params, r, method="cusp_terms")`."""
        d = self.dim
        q = jnp.asarray(self.particle_charges, r.dtype)
        params = self.variables["params"]
        zero = jnp.zeros(r.shape[:-2], r.dtype)
        log, drift, laplacian = zero, jnp.zeros_like(r), zero
        if len(self.nuclear_charges):
            R = jnp.asarray(self.nuclei, r.dtype)
            Z = jnp.asarray(self.nuclear_charges, r.dtype)
            a = 2.0 * q[:, None] * Z[None, :] / (d - 1)  # (P, K), reduced mass 1
            b = nn.softplus(params["nuclear_range"]).astype(r.dtype)
            f, v, lap = _pade_cusp(r[..., :, None, :] - R, a, b, d)
            log, drift, laplacian = log + f, drift + v, laplacian + lap
        if len(q) > 1:
            a = q[:, None] * q[None, :] / (d - 1)  # equal unit masses: μ = 1/2
            if len(self.pair_factors):
                a = a * jnp.asarray(self.pair_factors, r.dtype)
            b = nn.softplus(params["pair_range"]).astype(r.dtype)
            diff = r[..., :, None, :] - r[..., None, :, :]
            off = 1.0 - jnp.eye(len(q), dtype=r.dtype)
            # ordered pairs: each pair's u appears twice in the value (halved here) and
            # its Laplacian once per particle, which is what Δ over all coordinates needs
            f, v, lap = _pade_cusp(diff, a * off, b, d, exclude_diagonal=True)
            log, drift, laplacian = log + 0.5 * f, drift + v, laplacian + lap
        if len(self.core_strength):
            cores = PairCores(np.asarray(self.core_strength), np.asarray(self.core_power))
            f, v, lap = core_terms(r, cores, nn.softplus(params["core_range"]), d)
            log, drift, laplacian = log + f, drift + v, laplacian + lap
        return log, drift, laplacian


def _pade_cusp(
    diff: Array, a: Array, b: Array, dim: int, exclude_diagonal: bool = False
) -> tuple[Array, Array, Array]:
    """Σ_m u(r_pm), its gradient and its Laplacian in the first particle's coordinates,
    for u(s) = a s/(1 + b s).

    diff: (..., P, M, dim) separations r_p − R_m; a: (P, M); b: broadcastable to (P, M).
    Returns (Σ u: (...,), Σ a r̂/(1 + b s)²: (..., P, dim),
    Σ [−2ab/(1 + b s)³ + (dim − 1) a/(s (1 + b s)²)]: (...,)).
    """
    dist2 = jnp.sum(diff**2, -1)
    if exclude_diagonal:  # the zero self-distance must not produce 0/0 (or NaN gradients)
        eye = jnp.eye(diff.shape[-2], dtype=diff.dtype)
        dist2 = dist2 + eye
    dist = jnp.sqrt(dist2)
    denom = 1.0 + b * dist
    slope = a / denom**2  # u'(s)
    value = jnp.sum(a * dist / denom, axis=(-2, -1))
    drift = jnp.sum((slope / dist)[..., None] * diff, axis=-2)
    laplacian = jnp.sum(-2.0 * a * b / denom**3 + (dim - 1) * slope / dist, axis=(-2, -1))
    return value, drift, laplacian


def analytic_cusps(model: nn.Module) -> Callable[[dict, Array], tuple[Array, Array, Array]] | None:
    """(params, r) -> (f_c, ∇f_c, Δf_c) of a `CuspDrift`'s analytic cusps (see
    `CuspDrift.cusp_terms`), for taking their Itô sum through Itô's formula; None for a
    model without them."""
    if not isinstance(model, CuspDrift):
        return None

    def cusps(params: dict, r: Array) -> tuple[Array, Array, Array]:
        return model.apply(params, r, method="cusp_terms")

    return cusps


def count_parameters(params) -> int:
    """Number of scalar parameters in a parameter pytree."""
    return int(sum(np.size(p) for p in jax.tree_util.tree_leaves(params)))


def system_centres(system) -> tuple[tuple[float, ...], ...]:
    """The nuclei of a Coulomb system as nested tuples (a network's static field);
    () for a system without declared charges."""
    if not system.coulomb:
        return ()
    return tuple(map(tuple, np.asarray(system.nuclei).tolist()))


def wrap_cusps(system, smooth: nn.Module) -> nn.Module:
    """`smooth` (a drift network) plus the analytic cusps of the Coulomb charges that
    `system` declares and the factors of its hard cores (`CuspDrift`); `smooth` itself
    for a system without either."""
    cores = system.cores
    if not system.coulomb and cores is None:
        return smooth
    coulomb = system.coulomb
    return CuspDrift(
        smooth=smooth,
        dim=system.dim,
        nuclei=system_centres(system),
        nuclear_charges=(tuple(np.asarray(system.nuclear_charges).tolist())
                         if coulomb else ()),
        particle_charges=(tuple(np.asarray(system.particle_charge).tolist())
                          if coulomb else ()),
        pair_factors=pair_factors(system),
        core_strength=() if cores is None else tuple(map(tuple, cores.strength.tolist())),
        core_power=() if cores is None else tuple(map(tuple, cores.power.tolist())),
        # fermions' orbitals decay on their own: the cusp terms then only shape the
        # nuclear region (range 1/Z) instead of confining every electron like a 1s one
        **({"nuclear_range": float(np.max(system.nuclear_charges, initial=1.0))}
           if system.fermions and coulomb else {}),
    )


def pair_factors(system) -> tuple[tuple[float, ...], ...]:
    """The pair-cusp factors of `system` (see `CuspDrift`): for fermions (d − 1)/(d + 1)
    between equal spins, whose relative wave is odd (ψ ~ s^l (1 + a s) with
    a = 2μ q_a q_b/(2l + d − 1): a p wave's cusp over an s wave's; ½ in 3D, ⅓ in 2D);
    () otherwise."""
    if not system.fermions:
        return ()
    label = np.repeat([0, 1], system.spins)
    same = label[:, None] == label[None, :]
    odd = (system.dim - 1) / (system.dim + 1)
    return tuple(map(tuple, np.where(same, odd, 1.0).tolist()))


def trial_log_psi(model: nn.Module) -> LogPsi | None:
    """log ψ(params, r: (..., particles, dim)) -> (...,) of a gradient drift (its trial
    network plus the analytic cusps of a `CuspDrift`), so that v = ∇ log ψ, as a
    `local_energy.LogPsi`: for a `DistanceLogPsi` network it carries the fast route to
    ∇ log ψ and Δ log ψ (`distance_terms`), and for a network with nodes (one with a
    `sign` method, `determinant.SlaterJastrow`) its sign, and whether ψ vanishes on
    surfaces (nodes, hard cores); None for a free drift."""
    cusped = isinstance(model, CuspDrift)
    smooth = model.smooth if cusped else model
    if not isinstance(smooth, GradientDrift):
        return None

    def log_psi(params: dict, r: Array) -> Array:
        if not cusped:
            return model.apply(params, r, method="value")
        value = model.apply(params, r, method=lambda m, x: m.smooth.value(x))
        return value + model.apply(params, r, method="cusp_terms")[0]

    fast = distance_terms(model) if isinstance(smooth.log_psi, DistanceLogPsi) else None
    sign = None
    if hasattr(smooth.log_psi, "sign"):  # a guide with nodes
        def sign(params: dict, r: Array) -> Array:
            return model.apply(
                params, r, method=lambda m, x: (m.smooth if cusped else m).log_psi.sign(x))

    cores = cusped and len(model.core_strength) > 0
    return LogPsi(log_psi, fast, sign, vanishes=sign is not None or cores)


def distance_terms(model: nn.Module) -> Callable[[dict, Array], Terms]:
    """(params, r: (W, particles, dim)) -> (log ψ, ∇ log ψ, Δ log ψ) of a gradient drift
    whose network is a `DistanceLogPsi`: the network through its few distance features
    (`local_energy.feature_terms`), the confinement and the cusps in closed form."""
    cusped = isinstance(model, CuspDrift)

    def net(m: nn.Module) -> DistanceLogPsi:
        return (m.smooth if cusped else m).log_psi

    centres = np.asarray(net(model).centres)

    def terms(params: dict, r: Array) -> Terms:
        def network(f: Array) -> Array:
            return model.apply(params, f, method=lambda m, x: net(m).of_features(x))

        def features(x: Array) -> Array:
            return invariant_features(x[None], jnp.asarray(centres, x.dtype))[0]

        value, grad, laplacian = feature_terms(network, features, r)
        parts = [model.apply(params, r, method=lambda m, x: net(m).confinement_terms(x))]
        if cusped:
            parts.append(model.apply(params, r, method="cusp_terms"))
        for v, g, lap in parts:
            value, grad, laplacian = value + v, grad + g, laplacian + lap
        return value, grad, laplacian

    return terms


def init_drift_params(model: nn.Module, key: jax.Array, system) -> dict:
    """Initial parameters of `model` for configurations of `system` (compiled: flax's
    eager initialisation of a gradient drift costs seconds of small compilations)."""
    return jax.jit(model.init)(key, jnp.zeros((1, system.particles, system.dim)))
