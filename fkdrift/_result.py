"""`Result`: everything a run produced, and the drift it learned."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jax
import numpy as np

from ._config import Config
from ._estimate import Estimate
from ._guide import make_drift_model
from ._hdf5 import read_result_fields, save_result
from ._system import System


@dataclass(eq=False)
class Result:
    """The outcome of `fkdrift.solve`.

    Attributes:
        energy, energy_error: best estimate of E0 and one standard error.
        estimator: which estimate `energy` is (e.g. "variational, dt->0 extrapolated").
        estimates: each estimator's per-dt energies and dt → 0 fit, by name:
            {"variational": VariationalEstimate, "reweighted": ReweightedEstimate}
            (see `fkdrift._estimate`).
        samples: (n, particles, dim) walkers of the stationary SDE (samples of |φ0|²).
        params: parameters of the drift network.
        history: training history, arrays of shape (train_steps,) keyed by metric.
        density: histograms of the samples (see `observables.densities`).
        config, system: what was run.
        info: run metadata (seed, device, device_count, wall times, versions).
    """

    energy: float
    energy_error: float
    estimator: str
    estimates: dict[str, Estimate]
    samples: np.ndarray
    params: dict
    history: dict[str, np.ndarray]
    density: dict[str, np.ndarray]
    config: Config
    system: System
    info: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def drift(self):
        """The learned drift v(r), jitted; r: (..., particles, dim) -> same shape."""
        model = make_drift_model(self.system, self.config.network, self.config.training.drift_form)
        params = self.params

        @jax.jit
        def drift(r):
            lead = r.shape[:-2]
            flat = r.reshape(-1, *r.shape[-2:])
            return model.apply(params, flat).reshape(*lead, *r.shape[-2:])

        return drift

    @property
    def exact_energy(self) -> float | None:
        return self.system.exact_energy

    @property
    def deviation_sigma(self) -> float | None:
        """(energy − reference) / combined error, when a reference energy is known."""
        if self.exact_energy is None or not self.energy_error > 0:
            return None
        error = float(np.hypot(self.energy_error, self.system.reference_error))
        return (self.energy - self.exact_energy) / error

    def save(self, path) -> None:
        """Write the result to an HDF5 file atomically (see docs/hdf5-format.md)."""
        save_result(self, path)

    @classmethod
    def load(cls, path) -> Result:
        """Read a result written by `save` (the same numbers back); FkdriftError for a
        missing, foreign or damaged file."""
        return cls(**read_result_fields(path))

    def summary(self) -> str:
        """A few human-readable lines: E0 ± error, reference value and deviation in σ."""
        lines = [f"{self.system.name}: E0 = "
                 f"{value_with_error(self.energy, self.energy_error, at_least=6)}"
                 f"  ({self.estimator})"]
        if self.exact_energy is not None:
            dev = self.energy - self.exact_energy
            sigma = self.deviation_sigma
            rel = dev / abs(self.exact_energy) if self.exact_energy else float("nan")
            source = self.system.reference_source
            ref = f"{source} {self.exact_energy:.6f}"
            if self.system.reference_error:
                ref = (f"reference ({source}) {self.exact_energy:.6f} ± "
                       f"{self.system.reference_error:.6f}")
            lines.append(f"{ref}; deviation {dev:+.2e} ({rel:+.1e} relative, {sigma:+.2f} σ)")
        if self.system.fermions:
            up, down = self.system.spins
            lines.append(f"fixed-node: the lowest energy with the guide's nodes ({up} up, "
                         f"{down} down), an upper bound to E0, exact where the nodes are")
        cores = self.system.cores
        if cores is not None:
            pairs = int(np.count_nonzero(np.triu(cores.strength)))
            powers = "/".join(f"{n:g}" for n in np.unique(cores.power[cores.strength > 0]))
            lines.append(f"hard core: V ~ C/r^{powers} at contact ({pairs} pair(s)); the "
                         "guide vanishes there and no move enters it")
        for name, est in sorted(self.estimates.items()):
            per_dt = ", ".join(
                f"dt={d:g}: {value_with_error(e, s)}"
                for d, e, s in zip(est.dts, est.energies, est.errors, strict=True)
            )
            fit = f", fit p = {est.fit.p_value:.2g}" if est.fit.dof > 0 else ""
            extrapolated = value_with_error(est.extrapolated, est.extrapolated_error)
            lines.append(f"{name}: {extrapolated} at dt->0{fit}; per dt: {per_dt}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    @property
    def warnings(self) -> list[str]:
        """Health-check warnings of the run (see `fkdrift._diagnostics`)."""
        return list(self.info.get("warnings", []))


def load_result(path) -> Result:
    """`Result.load(path)` (exported as `fkdrift.load`)."""
    return Result.load(path)


def value_with_error(value: float, error: float, at_least: int = 0) -> str:
    """"value ± error" with two significant digits of the error, the value to the same
    decimal (and at least `at_least` decimals)."""
    if not (error > 0 and math.isfinite(error)):
        return f"{value:.{max(at_least, 6)}f} ± {error:.2g}"
    decimals = max(at_least, 1 - math.floor(math.log10(error)))
    return f"{value:.{decimals}f} ± {error:.{decimals}f}"
