"""`System`: the Hamiltonian H = −½∇² + V(r) a user wants the ground state of."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._core import PairCores, find_cores, uniform_cores
from ._errors import FkdriftError

STATISTICS = ("distinguishable", "bosons", "fermions")

TRACING_ERRORS = (jax.errors.JAXTypeError, jax.errors.JAXIndexError)
"""What JAX raises when V needs a concrete number from its traced argument (float(r),
np.asarray(r), a Python `if` on r, ...): V is then not written with jax.numpy."""


def trace_failure(name: str, shape: tuple[int, int], exc: Exception) -> str:
    """One line on why tracing the potential of system `name` at r of `shape` raised
    `exc`: JAX's advice for a tracing error, otherwise the user's own exception (its type
    and first line), which no rewrite with jax.numpy would fix."""
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    what = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    if isinstance(exc, TRACING_ERRORS):
        return (f"potential of system '{name}' is not JAX-traceable ({what}); write V "
                "with jax.numpy operations")
    return f"potential of system '{name}' raised {what} (called with r of shape {shape})"


@dataclass(frozen=True, eq=False)
class System:
    """A Hamiltonian H = −½∇² + V(r) for `particles` particles in `dim` dimensions (ħ = m = 1).

    Attributes:
        potential: V(r) for one configuration r: (particles, dim) -> scalar; JAX-traceable.
            It must contain every term of V (the Coulomb declaration only informs the drift).
        particles, dim: configuration shape.
        name: label used in files and summaries.
        statistics: "distinguishable" (plain network), "bosons" (a symmetric guide) or
            "fermions" (an antisymmetric guide: the estimate is then fixed-node).
        spins: (n_up, n_down) for fermions (None: all spin up, spin-polarised): the first
            n_up particles are spin up, the rest spin down; ψ is antisymmetric under the
            exchange of two particles of equal spin.
        exact_energy: known E0, reported beside the estimate (optional): exact, or the
            best independent reference where no exact value is known.
        reference_error: one standard error of that reference (0 for an exact value).
        reference_source: what the reference is ("exact", "independent DMC", ...).
        exact_density: exact one-body densities where known (optional), keyed like the
            stored histograms: {"axis0": ρ(x), ..., "radial": p(r)}, each a NumPy callable
            normalised to integrate to 1 (see `observables`).
        nuclei: (K, dim) fixed point charges; nuclear_charges: (K,); particle_charge: scalar
            or (particles,): the Coulomb declaration from which the drift gets exact cusps.
        source: how to rebuild the system after loading (set by `potentials` and the CLI).
        pair_core: a hard repulsive core between particles, V ≈ C/r^n (n > 2.5) at
            contact, which the guide then vanishes at (`cores`): "auto" (found by probing
            V when the guide is built), None (no core: a guide that does not vanish at
            contact), (C, n) for every pair, or (strength: (P, P), power: (P, P)).
    """

    potential: Callable[[Any], Any]
    particles: int = 1
    dim: int = 1
    name: str = "custom"
    statistics: str = "distinguishable"
    exact_energy: float | None = None
    reference_error: float = 0.0
    reference_source: str = "exact"
    exact_density: dict[str, Callable[[Any], Any]] | None = None
    nuclei: Any = None
    nuclear_charges: Any = None
    particle_charge: Any = None
    source: dict = field(default_factory=dict)
    spins: tuple[int, int] | None = None
    pair_core: Any = "auto"

    def __post_init__(self) -> None:
        for attr in ("particles", "dim"):
            value = getattr(self, attr)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise FkdriftError(f"System.{attr} must be a positive integer, got {value!r}")
        if not callable(self.potential):
            raise FkdriftError("System.potential must be a function V(r) of r: (particles, dim)")
        if self.statistics not in STATISTICS:
            raise FkdriftError(
                f"System.statistics must be one of {', '.join(STATISTICS)}, got {self.statistics!r}"
            )
        self._normalise_spins()
        self._normalise_coulomb()
        self._normalise_core()

    def _normalise_spins(self) -> None:
        if self.statistics != "fermions":
            if self.spins is not None:
                raise FkdriftError(f"System.spins={tuple(self.spins)!r} needs "
                                   "statistics='fermions'")
            return
        spins = (self.particles, 0) if self.spins is None else self.spins
        ok = (isinstance(spins, (tuple, list, np.ndarray)) and len(spins) == 2
              and all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0
                      for n in spins))
        if not ok or sum(spins) != self.particles:
            raise FkdriftError(f"System.spins must be two non-negative integers (n_up, "
                               f"n_down) adding up to particles={self.particles}, got "
                               f"{spins!r}")
        object.__setattr__(self, "spins", (int(spins[0]), int(spins[1])))

    @property
    def fermions(self) -> bool:
        """True for identical fermions: ψ changes sign, the estimate is fixed-node."""
        return self.statistics == "fermions"

    def _normalise_coulomb(self) -> None:
        has_nuclei = self.nuclei is not None or self.nuclear_charges is not None
        if has_nuclei:
            nuclei = np.asarray(self.nuclei if self.nuclei is not None else [], float)
            charges = np.asarray(
                self.nuclear_charges if self.nuclear_charges is not None else [], float
            )
            if nuclei.ndim != 2 or nuclei.shape[1] != self.dim or charges.shape != (
                nuclei.shape[0],
            ):
                raise FkdriftError(
                    f"System.nuclei must have shape (K, {self.dim}) and nuclear_charges (K,); "
                    f"got {nuclei.shape} and {charges.shape}"
                )
            object.__setattr__(self, "nuclei", nuclei)
            object.__setattr__(self, "nuclear_charges", charges)
        if has_nuclei or self.particle_charge is not None:
            if self.dim < 2:
                raise FkdriftError("Coulomb cusps need dim >= 2 (Kato's condition has d - 1)")
            q = self.particle_charge if self.particle_charge is not None else -1.0
            q = np.broadcast_to(np.asarray(q, float), (self.particles,)).copy()
            object.__setattr__(self, "particle_charge", q)
            if self.nuclei is None:
                object.__setattr__(self, "nuclei", np.zeros((0, self.dim)))
                object.__setattr__(self, "nuclear_charges", np.zeros((0,)))

    def _normalise_core(self) -> None:
        core = self.pair_core
        if core is None or (isinstance(core, str) and core == "auto"):
            return
        P = self.particles
        try:
            strength, power = (np.asarray(x, float) for x in core)
        except (TypeError, ValueError):
            strength = power = np.zeros(0)
        if strength.shape == power.shape == ():
            strength, power = uniform_cores(P, float(strength), float(power))
        ok = (strength.shape == power.shape == (P, P) and np.all(strength >= 0)
              and np.all(np.isfinite(strength)) and np.allclose(strength, strength.T)
              and np.all((power > 2) | (strength == 0)))
        if not ok:
            got = (f"arrays of shapes {strength.shape} and {power.shape}" if strength.ndim
                   else repr(core))
            raise FkdriftError(f"System.pair_core must be 'auto', None, (C, n) with C >= 0 "
                               f"and n > 2, or two symmetric ({P}, {P}) arrays; got {got}")
        cores = PairCores(strength * (1 - np.eye(P)), power * (strength > 0))
        object.__setattr__(self, "pair_core", cores if cores.any else None)

    @cached_property
    def cores(self) -> PairCores | None:
        """The hard repulsive cores between particles (`core.PairCores`), or None: the
        declared `pair_core`, or for "auto" those `core.find_cores` finds in V (one pair
        of identical particles stands for all, whose V is symmetric; every pair of
        distinguishable ones). Probing calls V, so it runs where the guide is built."""
        if not (isinstance(self.pair_core, str) and self.pair_core == "auto"):
            return self.pair_core
        if self.particles < 2:
            return None
        identical = self.statistics != "distinguishable"
        pairs = [(0, 1)] if identical else [(i, j) for i in range(self.particles)
                                            for j in range(i + 1, self.particles)]
        try:
            found = find_cores(self.potential, self.particles, self.dim, pairs)
        except Exception:  # noqa: BLE001 - check_potential reports a V that fails
            return None
        if found is None or not identical:
            return found
        return uniform_cores(self.particles, found.strength[0, 1], found.power[0, 1])

    @property
    def coulomb(self) -> bool:
        """True when a Coulomb declaration asks for cusp terms in the drift."""
        return self.particle_charge is not None

    @property
    def shape(self) -> tuple[int, int]:
        return (self.particles, self.dim)

    def check_potential(self, walkers: jax.Array) -> None:
        """Raise FkdriftError unless V traces, returns a scalar and is finite on `walkers`.

        walkers: (batch, particles, dim) start configurations.
        """
        spec = jax.ShapeDtypeStruct(self.shape, jnp.float64)
        try:
            out = jax.eval_shape(self.potential, spec)
        except Exception as exc:  # noqa: BLE001 - any failure here is the user's V
            raise FkdriftError(trace_failure(self.name, self.shape, exc)) from exc
        if not hasattr(out, "shape") or tuple(out.shape) != ():
            shape = getattr(out, "shape", type(out).__name__)
            raise FkdriftError(
                f"potential of system '{self.name}' must return a scalar for r of shape "
                f"{self.shape}, got shape {shape}; sum over particles and dimensions"
            )
        if jnp.issubdtype(out.dtype, jnp.complexfloating) or out.dtype == jnp.bool_:
            raise FkdriftError(
                f"potential of system '{self.name}' must return a real number, got dtype "
                f"{out.dtype}; return the real part or the modulus"
            )
        values = np.asarray(jax.jit(jax.vmap(self.potential))(walkers))
        bad = ~np.isfinite(values)
        if bad.any():
            raise FkdriftError(
                f"potential of system '{self.name}' is not finite at {int(bad.sum())} of "
                f"{len(values)} start configurations (e.g. V={values[bad][0]}); "
                "remove the singularity or declare Coulomb centres"
            )
        if self.statistics != "distinguishable":
            self._check_exchange(walkers, values)

    def exchanges(self) -> list[tuple[int, int]]:
        """Exchanges (i, i + 1) of neighbouring identical particles: every neighbour pair
        for bosons, neighbours of equal spin for fermions, none otherwise. They generate
        every permutation of identical particles, so a V unchanged by them is symmetric."""
        if self.statistics == "bosons":
            groups = [range(self.particles)]
        elif self.fermions:
            up = self.spins[0]
            groups = [range(up), range(up, self.particles)]
        else:
            return []
        return [(i, i + 1) for g in groups for i in g if i + 1 in g]

    def _check_exchange(self, walkers: jax.Array, values: np.ndarray) -> None:
        """FkdriftError unless V is unchanged when two identical particles trade places
        (each exchange of `exchanges`, at the first 64 start walkers: (batch, particles,
        dim), whose potential values are `values`: (batch,))."""
        walkers, values = walkers[:64], values[:64]
        orders = []
        for i, j in self.exchanges():
            order = np.arange(self.particles)
            order[[i, j]] = [j, i]
            orders.append(order)
        if not orders:
            return
        swapped = np.asarray(jax.jit(jax.vmap(jax.vmap(self.potential)))(
            walkers[:, np.stack(orders)].swapaxes(0, 1)))  # (exchanges, walkers)
        scale = np.maximum(np.abs(values), 1.0)
        bad = np.max(np.abs(swapped - values) / scale, axis=1) > 1e-8
        if bad.any():
            i, j = self.exchanges()[int(np.argmax(bad))]
            raise FkdriftError(
                f"potential of system '{self.name}' changes when particles {i} and {j} "
                f"trade places, so they cannot be identical {self.statistics}; "
                "use statistics='distinguishable' or make V symmetric")

    def describe(self) -> dict:
        """Plain attributes of the system (for HDF5 and summaries)."""
        info: dict[str, Any] = {
            "name": self.name,
            "particles": int(self.particles),
            "dim": int(self.dim),
            "statistics": self.statistics,
        }
        if self.exact_energy is not None:
            info["exact_energy"] = float(self.exact_energy)
            info["reference_error"] = float(self.reference_error)
            info["reference_source"] = self.reference_source
        if self.fermions:
            info["spins"] = list(self.spins)
        if self.coulomb:
            info["nuclei"] = np.asarray(self.nuclei).tolist()
            info["nuclear_charges"] = np.asarray(self.nuclear_charges).tolist()
            info["particle_charge"] = np.asarray(self.particle_charge).tolist()
        if self.cores is not None:
            info.update(self.cores.describe())
        if self.source:
            info["source"] = dict(self.source)
        return info
