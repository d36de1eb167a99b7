"""Typed estimates: one estimator's energy at each evaluation step and its dt → 0 fit.

`Result.estimates` maps an estimator's name ("variational", "reweighted") to one of these;
the HDF5 file stores each field once under `energy/<name>` (docs/hdf5-format.md), and
`show` and the plots read the fields by attribute.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ._statistics import Extrapolation

STORED_AS = {"energy": "extrapolated", "error": "extrapolated_error"}
"""`Extrapolation` fields stored under another name (the rest under their own)."""


@dataclass(frozen=True, kw_only=True, eq=False)
class Estimate:
    """An estimator's per-dt energies and their dt → 0 extrapolation.

    dts: (K,) evaluation time steps; energies, errors: (K,) the estimate at each step and
    its standard error; fit: the correlated dt → 0 fit (`statistics.Extrapolation`: value,
    error, order, coefficients (K,), curvature, χ², dof, p-value); stop_reason: why the
    stage stopped (see docs/anytime.md).
    """

    kind: ClassVar[str] = ""

    dts: np.ndarray
    energies: np.ndarray
    errors: np.ndarray
    fit: Extrapolation
    stop_reason: str = ""

    @property
    def extrapolated(self) -> float:
        """The dt → 0 value."""
        return self.fit.energy

    @property
    def extrapolated_error(self) -> float:
        """Its standard error."""
        return self.fit.error

    def record(self) -> dict[str, Any]:
        """The fields by stored name (the fit's flattened), None-valued ones left out."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if f.name != "fit"}
        values.update({STORED_AS.get(f.name, f.name): getattr(self.fit, f.name)
                       for f in dataclasses.fields(Extrapolation)})
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True, kw_only=True, eq=False)
class VariationalEstimate(Estimate):
    """The dt → 0 upper bound ℓ_T/T of the trained drift (see `Estimate`), plus:
    raw_energies, raw_errors: (K,) the same without the boundary control variates;
    measured_time: physical time per walker that was averaged; walkers: walkers per chain;
    replicas: independent replicas behind the error bars (None in files before 0.2.0)."""

    kind: ClassVar[str] = "variational"

    raw_energies: np.ndarray
    raw_errors: np.ndarray
    measured_time: float
    walkers: int
    replicas: int | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class ReweightedEstimate(Estimate):
    """E0 from the drift-guided, resampled population (see `Estimate`), plus:
    intervals: resampling intervals measured; log_weight_std: (K,) mean spread of the
    log-weights per interval; population_bias: (K,) the Jensen bias that was subtracted;
    independent_samples: intervals / 2τ; drift_sigmas: change of the growth between the
    halves of the run, in standard errors (the last three absent in files before 0.2.0)."""

    kind: ClassVar[str] = "reweighted"

    intervals: int
    log_weight_std: np.ndarray
    population_bias: np.ndarray | None = None
    independent_samples: int | None = None
    drift_sigmas: float = math.nan


KINDS: dict[str, type[Estimate]] = {c.kind: c for c in (VariationalEstimate, ReweightedEstimate)}


def estimate_from_record(kind: str, record: dict[str, Any]) -> Estimate:
    """The estimate of estimator `kind` from its stored fields (unknown fields ignored:
    a newer file read by an older fkdrift keeps what this version knows)."""
    fit_fields = {f.name: STORED_AS.get(f.name, f.name) for f in dataclasses.fields(Extrapolation)}
    fit = Extrapolation(**{name: record[stored] for name, stored in fit_fields.items()
                           if stored in record})
    cls = KINDS[kind]
    known = {f.name for f in dataclasses.fields(cls)} - {"fit"}
    return cls(fit=fit, **{k: v for k, v in record.items() if k in known})
