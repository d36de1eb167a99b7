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

from .statistics import Extrapolation


@dataclass(frozen=True, kw_only=True, eq=False)
class Estimate:
    """An estimator's per-dt energies and their dt → 0 extrapolation.

    dts: (K,) evaluation time steps; energies, errors: (K,) the estimate at each step and
    its standard error; extrapolated, extrapolated_error: the dt → 0 value and its error;
    order: polynomial degree of the fit in dt; coefficients: (K,) weights with
    extrapolated = coefficients · energies; curvature, curvature_error: the dt² term;
    chi2, dof, p_value: goodness of the fit (dof 0 and p NaN without spare degrees of
    freedom); stop_reason: why the stage stopped (see docs/anytime.md).
    """

    kind: ClassVar[str] = ""

    dts: np.ndarray
    energies: np.ndarray
    errors: np.ndarray
    extrapolated: float
    extrapolated_error: float
    order: int
    coefficients: np.ndarray
    curvature: float
    curvature_error: float
    chi2: float
    dof: int = 0
    p_value: float = math.nan
    stop_reason: str = ""

    @classmethod
    def fitted(cls, dts, energies, errors, fit: Extrapolation, **details) -> Estimate:
        """An estimate from per-dt values and their `Extrapolation` (plus the estimator's
        own fields in `details`)."""
        return cls(dts=np.asarray(dts), energies=np.asarray(energies),
                   errors=np.asarray(errors), extrapolated=float(fit.energy),
                   extrapolated_error=float(fit.error), order=int(fit.order),
                   coefficients=np.asarray(fit.coefficients), curvature=float(fit.curvature),
                   curvature_error=float(fit.curvature_error), chi2=float(fit.chi2),
                   dof=int(fit.dof), p_value=float(fit.p_value), **details)

    def record(self) -> dict[str, Any]:
        """The fields by name (what the HDF5 writer stores), None-valued ones left out."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
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
    cls = KINDS[kind]
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in record.items() if k in known})
