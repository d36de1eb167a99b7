"""`Config`: every tunable of a run, with documented defaults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import FkdriftError

PER_SYSTEM = ("drift_form", "batch", "window", "eval_dts", "burn_in_time")
"""Fields whose default None is filled in per system by `Config.for_system`."""

DRIFT_FORMS = ("gradient", "free")
"""Values of Config.drift_form (see `Config`)."""


def default_drift_form(system) -> str:
    """The drift form `Config.for_system` picks for `system` (see `Config.drift_form`)."""
    return "gradient" if system.coulomb or system.statistics == "bosons" else "free"


def did_you_mean(word: str, known: list[str]) -> str:
    """"; did you mean 'x'?" for the closest of `known` to `word`, or ""."""
    import difflib

    lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(word.lower(), list(lower), n=1)
    return f"; did you mean '{lower[close[0]]}'?" if close else ""


@dataclass(frozen=True)
class Config:
    """Settings of one fkdrift run. Every field has a default; times are in units ħ/E_h.

    Training (docs/method.md §2):
        drift_form: "gradient" (v = ∇ log ψ of a learned trial function, trained on
            local energies at the SDE's walkers) or "free" (a general vector field,
            trained by back-propagating path windows). Default None = chosen per system
            by `for_system`: "gradient" for systems with Coulomb charges or bosons (it
            reached helium's and the bosons' energies within 1 mHa in seconds where the
            free drift took minutes), "free" otherwise (on a user's double well the
            gradient drift's training settled in one well, a local minimum that the
            reweighted stage did not repair: +5σ; the free drift passes; see
            benchmarks/README.md). Files written before the option load as "free".
        train_steps: optimiser updates (Adam). Default 2000.
        batch: walkers carried between updates. Default None = chosen per system by
            `for_system`: 512; a free drift with a Coulomb declaration 128.
        window: Euler–Maruyama steps per update. Default None = chosen per system: a
            gradient drift 20 (the walkers move 0.2 time units between updates); a free
            drift 40 back-propagated, or 160 with a Coulomb declaration (window time 1.6).
        dt: training time step. Default 0.01. Why the
            Coulomb windows are long: the start of each window is detached and the
            boundary term only approximates the lost dependence, which shrinks the
            restoring force of the gradient for windows shorter than the relaxation
            time, so the O(dt) bias of the training gradient is amplified (hydrogen with
            the drift −α r̂, window time 0.4, plain Itô sum: training settled near
            α ≈ 0.94, 2e-3 Ha above E0). Since the cusps' Itô sum goes through Itô's
            formula (`sde.FeynmanKacTerm`) the gradient is about 100× less noisy and
            dt = 0.01 trains Coulomb systems on windows of time 1.6. The finer dt = 0.0025
            (640 steps) gives a slightly better variational bound after 2000 updates
            (helium +0.50 against +0.87 mHa) at 2.7× the cost per update; the time to an
            honest E0 is what counts, and there the coarse step wins: `--target-error
            1e-3` took 58 s against 86 s on helium and 165 s against 230 s on H2, both
            ending within 1σ of exact (benchmarks/README.md).
        learning_rate: initial Adam step. Default 1e-2.
        final_learning_rate: learning rate reached at the last update (exponential decay).
            Default 1e-5.
        grad_clip: global-norm gradient clip (0 disables). Default 1.0.
        init_width: standard deviation of the initial Gaussian walkers. Default 1.0.
    Network:
        width, depth: hidden layer width and count of the drift MLP. Defaults 64, 2.
        network_dtype: dtype of the network ("float32" or "float64"); walkers and the
            path integrals are always float64. Default "float32".
    Evaluation (forward only, on stationary walkers):
        eval_dts: time steps of the correlated evaluation chains; each must be an integer
            multiple of the smallest. The dt → 0 extrapolation fits a quadratic in dt
            through all of them (a line through two); with four or more its χ² tests the
            model. Default None = chosen per system by `for_system`: (0.04, 0.02, 0.01,
            0.005), or (0.01, 0.005, 0.0025, 0.00125) with a Coulomb declaration (near a
            nucleus the Euler bias bends at larger steps). The coarsest step costs 7% of
            the evaluation and pins the curvature (docs/error-bars.md).
        eval_walkers: independent walkers per chain. Default 512 (per walker-step as
            fast as 2048 on one CPU thread, and a quarter of the burn-in cost; measured
            in benchmarks/README.md).
        eval_time: measured time per walker. Default 80.0.
        burn_in_time: time each chain runs before measuring. Default None = chosen per
            system: 1.0 for a gradient drift (its training walkers already sample the
            stationary law at the coarsest step), 3.0 for a free drift.
        chunk_time: time per compiled evaluation chunk (progress and checkpoint
            granularity). Default 0.08, the resampling interval, so that both estimators
            run one compiled chunk (each compilation costs 2–3 s, a tenth of a helium run
            to 1 mHa); the host work between chunks is a few milliseconds.
        estimator: which estimate `Result.energy` reports: "reweighted" (E0 itself, from
            the drift-guided, resampled population; falls back to the variational one
            where it cannot run) or "variational" (the dt → 0 upper bound). Default
            "reweighted".
        reweighted_time: measured time of the reweighted population. Default 240.0.
        resample_interval: time between resamplings of the reweighted population; must
            be a whole number of every evaluation step. Default 0.08.
    Anytime runs (docs/anytime.md; either field makes the run adapt its stages):
        target_error: the error bar wanted. Each evaluation stage stops once its dt → 0
            error bar is below it, and training stops at a plateau of the training
            energy. 0 = none. Default 0.
        time_budget: wall-clock seconds for the whole run (training and both estimators).
            Training takes up to `training_share` of it, with its learning rate decaying
            over that time; the variational stage 30% and the reweighted stage the rest
            of what is left. 0 = none. Default 0.
        training_share: the part of time_budget that training may use. Default 0.5.
        max_eval_time: in an anytime run, the longest measured time per walker of each
            evaluation stage. Default 1000.
        sample_every: time between density snapshots of the finest chain. Default 1.0.
        density_bins: bins of the stored density histograms. Default 80.
    """

    drift_form: str | None = None
    train_steps: int = 2000
    batch: int | None = None
    window: int | None = None
    dt: float = 0.01
    learning_rate: float = 1e-2
    final_learning_rate: float = 1e-5
    grad_clip: float = 1.0
    init_width: float = 1.0
    width: int = 64
    depth: int = 2
    network_dtype: str = "float32"
    eval_dts: tuple[float, ...] | None = None
    eval_walkers: int = 512
    eval_time: float = 80.0
    burn_in_time: float | None = None
    chunk_time: float = 0.08
    estimator: str = "reweighted"
    resample_interval: float = 0.08
    reweighted_time: float = 240.0
    target_error: float = 0.0
    max_eval_time: float = 1000.0
    time_budget: float = 0.0
    training_share: float = 0.5
    sample_every: float = 1.0
    density_bins: int = 80

    def __post_init__(self) -> None:
        if self.eval_dts is not None:
            if not isinstance(self.eval_dts, (tuple, list)):
                raise FkdriftError(
                    f"Config.eval_dts must be a tuple of time steps, got {self.eval_dts!r}"
                )
            object.__setattr__(self, "eval_dts", tuple(self.eval_dts))
        self.validated()

    def replace(self, **changes) -> Config:
        """A copy with some fields changed (validated)."""
        fields = [f.name for f in dataclasses.fields(self)]
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise FkdriftError(f"unknown Config field(s): {', '.join(unknown)}"
                               + did_you_mean(unknown[0], fields))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Config:
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in values.items() if k in known}
        if "training_share" not in values:  # written before anytime runs: time_budget
            kwargs.pop("time_budget", None)  # then meant seconds per evaluation stage
        kwargs.setdefault("burn_in_time", 3.0)  # the fixed default before the option
        for name in ("dt",):  # None meant "per system" in older files
            if kwargs.get(name, 0) is None:
                kwargs.pop(name)
        kwargs.setdefault("drift_form", "free")  # the only form before the option
        if kwargs.get("eval_dts") is not None:
            kwargs["eval_dts"] = tuple(float(x) for x in kwargs["eval_dts"])
        return cls(**kwargs)

    def for_system(self, system) -> Config:
        """This config with the per-system defaults (drift_form, batch, window, eval_dts,
        burn_in_time) filled in."""
        coulomb = bool(system.coulomb)
        if self.drift_form is None:
            return self.replace(drift_form=default_drift_form(system)).for_system(system)
        free = self.drift_form == "free"
        defaults = {
            "batch": 128 if coulomb and free else 512,
            "window": (160 if coulomb else 40) if free else 20,
            "eval_dts": ((0.01, 0.005, 0.0025, 0.00125) if coulomb
                         else (0.04, 0.02, 0.01, 0.005)),
            "burn_in_time": 3.0 if free else 1.0,
        }
        missing = {k: v for k, v in defaults.items() if getattr(self, k) is None}
        return self.replace(**missing) if missing else self

    @property
    def lattice_dt(self) -> float:
        """The finest evaluation step: the spacing of the shared Brownian lattice."""
        return min(self.eval_dts)


    def validated(self) -> Config:
        """Return self, or raise FkdriftError naming the first bad field and the fix."""
        positive_ints = ("train_steps", "batch", "window", "width", "eval_walkers",
                         "density_bins")
        for name in positive_ints:
            value = getattr(self, name)
            if value is None and name in PER_SYSTEM:
                continue  # chosen by for_system
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise FkdriftError(f"Config.{name} must be a positive integer, got {value!r}")
        if not isinstance(self.depth, int) or self.depth < 0:
            raise FkdriftError(f"Config.depth must be a non-negative integer, got {self.depth!r}")
        positive = ("dt", "learning_rate", "final_learning_rate", "eval_time", "chunk_time",
                    "init_width", "sample_every", "max_eval_time",
                    "resample_interval", "reweighted_time")
        for name in positive:
            value = getattr(self, name)
            if value is None and name in PER_SYSTEM:
                continue
            if not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise FkdriftError(f"Config.{name} must be a positive number, got {value!r}")
        for name in ("burn_in_time", "target_error", "grad_clip", "time_budget"):
            value = getattr(self, name)
            if value is None and name in PER_SYSTEM:
                continue
            if not isinstance(value, (int, float)) or not value >= 0:
                raise FkdriftError(f"Config.{name} must be >= 0, got {value!r}")
        if not isinstance(self.training_share, (int, float)) or not 0 < self.training_share < 1:
            raise FkdriftError(
                f"Config.training_share must be between 0 and 1, got {self.training_share!r}"
            )
        if self.network_dtype not in ("float32", "float64"):
            raise FkdriftError(
                f"Config.network_dtype must be 'float32' or 'float64', got {self.network_dtype!r}"
            )
        if self.drift_form is not None and self.drift_form not in DRIFT_FORMS:
            raise FkdriftError(
                f"Config.drift_form must be 'gradient' or 'free', got {self.drift_form!r}"
            )
        if self.estimator not in ("reweighted", "variational"):
            raise FkdriftError(
                f"Config.estimator must be 'reweighted' or 'variational', got {self.estimator!r}"
            )
        self._validate_eval_dts()
        return self

    def _validate_eval_dts(self) -> None:
        dts = self.eval_dts
        if dts is None:
            return
        if len(dts) < 2 or any(not isinstance(x, (int, float)) or not x > 0 for x in dts):
            raise FkdriftError(
                f"Config.eval_dts needs two or more positive time steps, got {dts!r}"
            )
        if len(set(dts)) != len(dts):
            raise FkdriftError(f"Config.eval_dts must be distinct, got {dts!r}")
        h = self.lattice_dt
        for x in dts:
            m = x / h
            if abs(m - round(m)) > 1e-9 * m:
                raise FkdriftError(
                    f"Config.eval_dts: {x} is not an integer multiple of the smallest step {h}"
                )
        for name in ("chunk_time", "resample_interval"):
            span = getattr(self, name)
            for x in dts:
                m = span / x
                if abs(m - round(m)) > 1e-9 * m or round(m) < 1:
                    raise FkdriftError(
                        f"Config.{name}={span} must be a whole number of every "
                        f"evaluation step (eval_dts={dts})"
                    )
