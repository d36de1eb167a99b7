"""An antisymmetric guide for identical fermions: Slater determinants per spin of learned
orbitals, times a symmetric Jastrow factor.

    ψ(r) = det[φ_k(y_i)]_{i,k ∈ up} · det[φ_k(y_i)]_{i,k ∈ down} · exp(J(r) − ½ c Σ_i |r_i|²)

* Orbitals φ_k, without nuclei, start from the eigenstates of the unit harmonic trap:
  the n_σ lowest products of Hermite polynomials H_{n_1}(y_1)⋯H_{n_d}(y_d) for each spin
  σ (shell by shell, `oscillator_levels`), with the Gaussian envelope exp(−½ c |r_i|²)
  (c ≥ 0 learned, started at `confinement`) common to every orbital, so it leaves the
  determinant as a factor and its log is exact. At the start ψ is the exact ground state
  of non-interacting fermions in that trap (nodes included).
* Around one nucleus (an atom, 3D) they start as hydrogen-like shells in aufbau order,
  1s, 2s, 2p_x, 2p_y, 2p_z, 3s, … (`atomic_orbitals`), with envelopes exp(−u_k),
  u_k = √(1 + ζ_k²ρ²) − 1 (ρ the distance to the nucleus; ζ_k learned, started from
  Slater's screening rules): smooth at the nucleus, so that the analytic cusps of the
  Coulomb declaration stay exact, and decaying like exp(−ζρ). s shells of n > 1 carry
  u_k^(n−1), p shells the Cartesian component. c is then the smallest
  confinement, as for every Coulomb guide.
* Backflow: the orbitals read the quasi-particle coordinates
  y_i = s (r_i + Σ_{j≠i} η(|r_i − r_j|², same spin) (r_i − r_j)), η an MLP (zero output
  layer: no backflow at the start), s > 0 a learned scale (started at 1). Exchanging two
  particles of equal spin exchanges their y and hence two rows of one determinant: ψ
  changes sign. The backflow moves the nodes; the Jastrow factor cannot.
* Jastrow: J = ½ Σ_{i≠j} u(|r_i − r_j|², same spin) + Σ_i w(r_i), u and w MLPs with zero
  output layers; symmetric under every exchange of equal spins.

The guide's log ψ is log |ψ| (its gradient the drift, finite away from the nodes) and
`sign` gives sign ψ, which the fixed-node moves keep (`metropolis.acceptance`). The
determinants are taken with `slogdet` (LU with pivoting), so log |ψ| stays accurate where
ψ itself would underflow.
"""

from __future__ import annotations

import itertools

import flax.linen as nn
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._networks import MLP, confinement_strength
from ._trial import NetworkFields


def oscillator_levels(n: int, dim: int) -> np.ndarray:
    """The quantum numbers (n, dim) of the n lowest states of the `dim`-dimensional unit
    harmonic oscillator, by energy Σ n_a + dim/2 and, within a shell, in a fixed order."""
    levels: list[tuple[int, ...]] = []
    shell = 0
    while len(levels) < n:
        levels += sorted((q for q in itertools.product(range(shell + 1), repeat=dim)
                          if sum(q) == shell), reverse=True)
        shell += 1
    return np.asarray(levels[:n], int).reshape(n, dim)


def oscillator_energy(spins: tuple[int, int], dim: int, omega: float = 1.0) -> float:
    """Ground-state energy of non-interacting fermions with `spins` (n_up, n_down) in the
    isotropic `dim`-dimensional trap of frequency omega: the filled shells of each spin."""
    return float(omega * sum(np.sum(oscillator_levels(n, dim)) + n * dim / 2
                             for n in spins if n))


SHELLS = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1))
"""(n, l) of the hydrogen-like shells `atomic_orbitals` fills, in order (1s 2s 2p 3s 3p)."""


def atomic_orbitals(n: int, strict: bool = True) -> list[tuple[int, int, int]]:
    """The n lowest hydrogen-like orbitals as (n, l, component): component −1 for s,
    the Cartesian axis 0–2 for p (strict=False: as many as there are, up to n)."""
    out = [(shell, l, m) for shell, l in SHELLS for m in ((-1,) if l == 0 else range(3))]
    if n > len(out) and strict:
        raise ValueError(f"atomic orbitals go up to {len(out)} per spin (3p), asked {n}")
    return out[:n]


def slater_exponents(orbitals: list[tuple[int, int, int]], spins: tuple[int, int],
                     charge: float) -> np.ndarray:
    """Starting exponents ζ = Z_eff/n of `orbitals` from Slater's screening rules for an
    atom of nuclear `charge` holding `spins` electrons (occupation: each spin fills the
    orbitals of `atomic_orbitals` in order)."""
    counts: dict[int, int] = {}
    for n_spin in spins:
        for shell, _, _ in atomic_orbitals(n_spin) if n_spin else []:
            counts[shell] = counts.get(shell, 0) + 1
    zeta = []
    for shell, _, _ in orbitals:
        same = counts.get(shell, 1) - 1
        inner = sum(c for s, c in counts.items() if s == shell - 1)
        deeper = sum(c for s, c in counts.items() if s < shell - 1)
        screen = (0.30 if shell == 1 else 0.35) * same + 0.85 * inner + deeper
        zeta.append(max(charge - screen, 0.5) / shell)
    return np.asarray(zeta)


def hermite(y: Array, degree: int) -> Array:
    """Physicists' Hermite polynomials H_0 … H_degree at y: (...) -> (..., degree + 1)."""
    values = [jnp.ones_like(y), 2 * y]
    for n in range(1, degree):
        values.append(2 * y * values[n] - 2 * n * values[n - 1])
    return jnp.stack(values[:degree + 1], -1)


def same_spin(spins: tuple[int, int]) -> np.ndarray:
    """(P, P) 1.0 where particles i and j have equal spin."""
    label = np.repeat([0, 1], spins)
    return (label[:, None] == label[None, :]).astype(float)


class SlaterJastrow(NetworkFields):
    """log |ψ| of identical fermions with `spins` (n_up, n_down): determinants per spin of
    backflowed oscillator orbitals times a Jastrow factor (see the module doc).
    r: (..., particles, dim) -> (...,); `sign(r)`: (...,) in {−1, +1}."""

    spins: tuple[int, int] = (1, 0)
    nuclear_charges: tuple[float, ...] = ()

    def setup(self) -> None:
        self.strength = confinement_strength(self, self.confinement, ())
        if not len(self.centres):
            self.scale = self.param("orbital_scale", nn.initializers.zeros, (), self.dtype)
        else:
            if len(self.centres) != 1 or self.dim != 3:
                raise ValueError("the determinant guide's atomic orbitals take one "
                                 "nucleus in 3D")
            self.log_zeta = [
                self.param(f"log_zeta_{s}", lambda _, z=z: jnp.log(jnp.asarray(z)))
                for s, z in enumerate(self._start_exponents())]
        self.backflow = MLP(self.width, self.depth, 1, self.dtype)
        self.pair = MLP(self.width, self.depth, 1, self.dtype)
        self.one_body = MLP(self.width, self.depth, 1, self.dtype)

    def _pairs(self, r: Array) -> tuple[Array, Array, Array]:
        """Separations r_i − r_j: (..., P, P, D), their pair features (..., P, P, 3) and
        the off-diagonal mask (P, P)."""
        diff = r[..., :, None, :] - r[..., None, :, :]
        off = 1.0 - np.eye(self.particles)
        d2 = jnp.sum(diff**2, -1)
        same = jnp.broadcast_to(jnp.asarray(same_spin(self.spins), r.dtype), d2.shape)
        features = jnp.stack([jnp.log1p(d2), d2 / (1.0 + d2), same], -1)
        return diff, features, jnp.asarray(off, r.dtype)

    def _parts(self, r: Array) -> tuple[list[tuple[Array, Array]], Array]:
        """([(sign, log |det|) per occupied spin], the rest of log |ψ|) at r. The
        networks run in `dtype`; the orbitals and determinants in r's dtype."""
        def net(mlp: nn.Module, inputs: Array) -> Array:
            return mlp(inputs.astype(self.dtype))[..., 0].astype(r.dtype)

        y = r
        jastrow = jnp.sum(net(self.one_body, jnp.concatenate(
            [r, jnp.sum(r**2, -1, keepdims=True)], -1)), -1)
        if self.particles > 1:
            diff, features, off = self._pairs(r)
            eta = net(self.backflow, features) * off  # (..., P, P)
            y = r + jnp.sum(eta[..., None] * diff, -2)
            jastrow = jastrow + 0.5 * jnp.sum(net(self.pair, features) * off, (-2, -1))
        if not len(self.centres):  # around a nucleus the exponents set the scale
            y = y * jnp.exp(self.scale.astype(r.dtype))
        c = self.strength.astype(r.dtype)
        rest = jastrow - 0.5 * c * jnp.sum(r**2, (-2, -1))
        dets, start = [], 0
        for s, n in enumerate(self.spins):
            if n:
                one_spin = y[..., start:start + n, :]
                orbitals = (self._atomic(one_spin, s) if len(self.centres)
                            else self._orbitals(one_spin))
                dets.append(jnp.linalg.slogdet(orbitals))
            start += n
        return dets, rest

    def _start_exponents(self) -> list[np.ndarray]:
        charge = float(self.nuclear_charges[0]) if self.nuclear_charges else 1.0
        return [slater_exponents(atomic_orbitals(n), self.spins, charge) if n else
                np.ones(1) for n in self.spins]

    def _atomic(self, y: Array, spin: int) -> Array:
        """The orbital matrix (..., n, n) of the n particles y: (..., n, 3) of one spin
        around the nucleus: `atomic_orbitals(n)` with learned exponents."""
        x = y - jnp.asarray(self.centres[0], y.dtype)
        rho2 = jnp.sum(x**2, -1)  # (..., n)
        zeta = jnp.exp(self.log_zeta[spin]).astype(y.dtype)  # (n orbitals,)
        columns = []
        for k, (shell, l, m) in enumerate(atomic_orbitals(y.shape[-2])):
            # ~ζ²ρ²/2 within 1/ζ of the nucleus, ~ζρ beyond
            smooth = jnp.sqrt(1.0 + zeta[k] ** 2 * rho2) - 1.0
            radial = smooth ** (shell - 1 - l) if shell - 1 - l else jnp.ones_like(smooth)
            angular = x[..., m] if l == 1 else 1.0
            columns.append(radial * angular * jnp.exp(-smooth))
        return jnp.stack(columns, -1)

    def _orbitals(self, y: Array) -> Array:
        """The orbital matrix φ_k(y_i): (..., n, n) of the n particles y: (..., n, D) of
        one spin: products of Hermite polynomials of `oscillator_levels(n, D)`."""
        n = y.shape[-2]
        levels = oscillator_levels(n, self.dim)  # (n orbitals, D)
        h = hermite(y, int(levels.max()))  # (..., n, D, degree + 1)
        per_axis = h[..., np.arange(self.dim)[None, :], levels]  # (..., n, n orb, D)
        return jnp.prod(per_axis, -1)

    def __call__(self, r: Array) -> Array:
        dets, rest = self._parts(r)
        return rest + sum(logdet for _, logdet in dets)

    def sign(self, r: Array) -> Array:
        """sign ψ(r): (...,)."""
        dets, _ = self._parts(r)
        out = jnp.ones(r.shape[:-2], r.dtype)
        for sign, _ in dets:
            out = out * sign
        return out
