"""The guide: the learned drift and everything that depends on its form, as one object.

A `Guide` is chosen in one place, `make_guide`, from the system and the network settings,
by name from the registry `GUIDES`. It carries the flax model of the drift v_θ(r) (with
the analytic cusps of a Coulomb system inside it), its log ψ where it has one (a
gradient guide, v = ∇ log ψ; None for a free drift) and its training update. The
solver, the result and the file checks ask the guide; a new guide (an antisymmetric
one for fermions, say) is one network module and one entry in `GUIDES`.

Names (`guide_name`):
- "distances": gradient guide of an MLP of electron–nucleus and electron–electron
  distances (`trial.DistanceLogPsi`), distinguishable particles around nuclei;
- "coordinates": gradient guide of an MLP of the coordinates (`trial.MLPLogPsi`);
- "pair", "pooled": gradient guides for identical bosons (`trial.PairLogPsi`,
  `trial.PooledLogPsi`);
- "free": a free drift for distinguishable particles (`drift.MLPDrift`), trained on the
  path-space loss;
- "free_pair": a free, permutation-equivariant drift for bosons (`drift.PairDrift`);
- "determinant": an antisymmetric gradient guide for fermions, Slater determinants per
  spin of backflowed orbitals times a Jastrow factor (`determinant.SlaterJastrow`); its
  log ψ carries the sign, which fixed-node moves keep.
Each is wrapped in the analytic cusps (`drift.CuspDrift`) when the system declares
Coulomb charges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh
from jaxtyping import Array

from ._config import (
    NetworkConfig,
    default_boson_network,
    default_drift_form,
    default_features,
)
from ._determinant import SlaterJastrow, atomic_orbitals
from ._drift import (
    MLPDrift,
    PairDrift,
    init_drift_params,
    system_centres,
    trial_log_psi,
    wrap_cusps,
)
from ._errors import FkdriftError
from ._local_energy import LogPsi
from ._networks import SMALLEST_CONFINEMENT
from ._training import TrainState, make_local_energy_step, make_train_step
from ._trial import DistanceLogPsi, GradientDrift, MLPLogPsi, PairLogPsi, PooledLogPsi

Network = Callable[[Any, NetworkConfig, dict], nn.Module]
"""(system, network settings, common sizes) -> the guide's smooth network (before the
cusps); common: the keyword sizes every network takes (see `_sizes`)."""


def _distances(system, network: NetworkConfig, common: dict) -> nn.Module:
    if not len(common["centres"]):
        raise FkdriftError("NetworkConfig.features='distances' needs a system with "
                           "declared nuclei (System.nuclei)")
    return GradientDrift(DistanceLogPsi(**common))


def _coordinates(system, network: NetworkConfig, common: dict) -> nn.Module:
    return GradientDrift(MLPLogPsi(**common, distance_features=_reads_distances(system,
                                                                              common)))


def _free(system, network: NetworkConfig, common: dict) -> nn.Module:
    return MLPDrift(**common, distance_features=_reads_distances(system, common))


def _determinant(system, common: dict) -> nn.Module:
    """The antisymmetric guide: oscillator orbitals, or atomic ones around one nucleus."""
    charges = ()
    if len(common["centres"]):
        charges = tuple(np.asarray(system.nuclear_charges).tolist())
        if len(charges) != 1 or system.dim != 3:
            raise FkdriftError("the fermion guide's atomic orbitals need one nucleus in 3D; "
                               f"got {len(charges)} nuclei in {system.dim}D")
        if max(system.spins) > len(atomic_orbitals(max(system.spins), strict=False)):
            raise FkdriftError(f"the fermion guide's atomic orbitals go up to 3p "
                               f"({len(atomic_orbitals(99, strict=False))} per spin); got "
                               f"spins {system.spins}")
    return GradientDrift(SlaterJastrow(**common, spins=system.spins, nuclear_charges=charges))


def _reads_distances(system, common: dict) -> bool:
    """Distinguishable networks also read the smooth pair and particle–nucleus distances
    when there are several particles or declared nuclei."""
    return bool(system.particles > 1 or len(common["centres"]))


GUIDES: dict[str, Network] = {
    "distances": _distances,
    "coordinates": _coordinates,
    "pair": lambda system, network, common: GradientDrift(PairLogPsi(**common)),
    "pooled": lambda system, network, common: GradientDrift(PooledLogPsi(**common)),
    "free": _free,
    "free_pair": lambda system, network, common: PairDrift(**common),
    "determinant": lambda system, network, common: _determinant(system, common),
}
"""The guides by name: each builds its smooth network (see the module doc)."""


def guide_name(system, network: NetworkConfig, drift_form: str | None = None) -> str:
    """The name in `GUIDES` of the guide for `system` with `network`'s settings and
    `drift_form` ("gradient", "free"; None: the system's default): the one place where
    the guide is chosen."""
    drift_form = drift_form or default_drift_form(system)
    if system.statistics == "fermions":
        if drift_form == "free":
            raise FkdriftError("fermions need a guide with a log psi and its sign "
                               "(drift_form='gradient'); a free drift has no nodes to keep")
        return "determinant"
    bosons = system.statistics == "bosons"
    if drift_form == "free":
        return "free_pair" if bosons else "free"
    if bosons:
        return network.boson_network or default_boson_network(system)
    return network.features or default_features(system)


@dataclass(frozen=True)
class Guide:
    """The learned drift of one run and what depends on its form.

    name: its key in `GUIDES`; model: the flax module v_θ(r: (W, particles, dim)) ->
    (W, particles, dim), the analytic Coulomb cusps included (`drift.CuspDrift`);
    log_psi: its log ψ(params, r) -> (W,) (a `LogPsi`, with the fast derivative route
    where the network has one) for a gradient guide, None for a free drift.
    """

    name: str
    model: nn.Module
    log_psi: LogPsi | None

    @property
    def gradient(self) -> bool:
        """Whether v = ∇ log ψ (trained on local energies, a guide for Metropolis moves)."""
        return self.log_psi is not None

    def init(self, key: jax.Array, system) -> dict:
        """Initial parameters for configurations of `system`."""
        return init_drift_params(self.model, key, system)

    def train_step(self, potential, optimizer: optax.GradientTransformation, *, dt: float,
                   window: int, window_checkpoints: int = 0, laplacian_probes: int = 0,
                   moves: str = "euler", mesh: Mesh | None = None
                   ) -> Callable[[TrainState], tuple[TrainState, dict[str, Array]]]:
        """The jitted training update: on local energies for a gradient guide
        (`training.make_local_energy_step`, its walkers moved by `moves`, "euler" or
        "metropolis"), on the path-space loss for a free drift
        (`training.make_train_step`, through windows of `window` steps)."""
        if self.gradient:
            return make_local_energy_step(self.model, potential, optimizer, dt=dt,
                                          n_steps=window, laplacian_probes=laplacian_probes,
                                          metropolis=moves == "metropolis", mesh=mesh)
        return make_train_step(self.model, potential, optimizer, dt=dt, n_steps=window,
                               window_checkpoints=window_checkpoints, mesh=mesh)


def make_guide(system, network: NetworkConfig, drift_form: str | None = None) -> Guide:
    """The guide of `system` with the sizes and choices of `network` and `drift_form`
    (None: the system's default; see `guide_name`)."""
    name = guide_name(system, network, drift_form)
    model = wrap_cusps(system, GUIDES[name](system, network, _sizes(system, network)))
    return Guide(name, model, trial_log_psi(model))


def make_drift_model(system, network: NetworkConfig,
                     drift_form: str | None = None) -> nn.Module:
    """The drift network of `make_guide(system, network, drift_form)` (its `model`)."""
    return make_guide(system, network, drift_form).model


def _sizes(system, network: NetworkConfig) -> dict:
    """The keyword sizes every network takes: particles, dim, width, depth, the starting
    confinement (smallest around nuclei, whose cusps already confine; electrons in a
    trap, a quantum dot, start at the trap's), dtype, centres (the nuclei of a Coulomb
    system)."""
    return {"particles": system.particles, "dim": system.dim, "width": network.width,
            "depth": network.depth,
            "confinement": SMALLEST_CONFINEMENT if _has_nuclei(system) else 1.0,
            "dtype": jnp.dtype(network.network_dtype), "centres": system_centres(system)}


def _has_nuclei(system) -> bool:
    return bool(system.coulomb and len(system.nuclei))
