"""`Config`: every tunable of a run, in one small frozen section per stage.

Each section validates its own fields (a one-line FkdriftError naming the field); `Config`
checks what spans sections and routes each field name to its section, so a field has one
name everywhere: `Config(batch=64)`, `config.replace(batch=64)`, `--set batch=64`, the
`[settings]` table of a run file and the HDF5 `config/` attributes. `config.training.batch`
is where it lives; `config.batch` reads it. Times are in units ħ/E_h. Why each default is
what it is (the measurements): docs/method.md §7.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ._errors import FkdriftError

DRIFT_FORMS = ("gradient", "free")
"""Values of `TrainingConfig.drift_form`."""

ESTIMATORS = ("reweighted", "variational")
"""Values of `ReweightingConfig.estimator`."""

MOVES = ("metropolis", "euler")
"""Values of `ReweightingConfig.reweighted_moves`: how the reweighted populations of a guide
with a log ψ move: Metropolis-adjusted Langevin steps with the local-energy weights of
importance-sampled DMC (`metropolis`, its own steps `reweighted_dts`, a linear dt → 0
fit), or the unadjusted Euler–Maruyama chunk of the variational stage (`euler`, its steps
eval_dts, the quadratic fit). A free drift has no log ψ and always moves by Euler steps."""

BOSON_NETWORKS = ("pair", "pooled")
"""Values of `NetworkConfig.boson_network`: `PairLogPsi` (an MLP on each of the N(N−1)
ordered pairs) or `PooledLogPsi` (radial pair features pooled per particle; cost per
walker-step nearly linear in N, benchmarks/PARTICLES.md)."""


FEATURES = ("distances", "coordinates")
"""Values of `NetworkConfig.features`, what the log ψ of distinguishable particles reads:
their pair and particle–nucleus distances only (`distances`, `trial.DistanceLogPsi`,
for systems with declared nuclei) or their coordinates and those distances
(`coordinates`, `trial.MLPLogPsi`)."""


def did_you_mean(word: str, known: list[str]) -> str:
    """"; did you mean 'x'?" for the closest of `known` to `word`, or ""."""
    import difflib

    lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(word.lower(), list(lower), n=1)
    return f"; did you mean '{lower[close[0]]}'?" if close else ""


def _check(ok: bool, name: str, need: str, value: Any) -> None:
    if not ok:
        raise FkdriftError(f"Config.{name} must be {need}, got {value!r}")


def _positive_int(name: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    _check(isinstance(value, int) and not isinstance(value, bool) and value > 0, name,
           "a positive integer", value)


def _non_negative_int(name: str, value: Any) -> None:
    _check(isinstance(value, int) and not isinstance(value, bool) and value >= 0, name,
           "a non-negative integer", value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive(name: str, value: Any) -> None:
    _check(_number(value) and 0 < value < math.inf, name, "a positive number", value)


def _non_negative(name: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    _check(_number(value) and value >= 0, name, ">= 0", value)


def _choice(name: str, value: Any, choices: tuple[str, ...], *, optional: bool = False) -> None:
    if value is None and optional:
        return
    _check(value in choices, name, " or ".join(repr(c) for c in choices), value)


def _whole_multiple(span: float, step: float) -> bool:
    m = span / step
    return round(m) >= 1 and abs(m - round(m)) <= 1e-9 * m


@dataclass(frozen=True)
class TrainingConfig:
    """How the drift is trained (docs/method.md §2). None: chosen per system (`presets`)."""

    drift_form: str | None = None  # "gradient" (v = ∇ log ψ, local energies) or "free"
    train_steps: int = 2000  # optimiser (Adam) updates
    batch: int | None = None  # walkers carried between updates
    window: int | None = None  # SDE steps per update
    dt: float | None = None  # training time step
    learning_rate: float = 1e-2  # initial Adam step
    final_learning_rate: float = 1e-5  # rate at the last update (exponential decay)
    grad_clip: float = 1.0  # global-norm gradient clip; 0 disables
    init_width: float = 1.0  # standard deviation of the initial Gaussian walkers
    window_checkpoints: int = 0  # free drift: window steps kept for the gradient; 0: all
    laplacian_probes: int = 0  # gradient drift: random vectors for Δ log ψ; 0: exact
    train_moves: str | None = None  # gradient drift's walker moves: "euler" or "metropolis"

    def __post_init__(self) -> None:
        _choice("drift_form", self.drift_form, DRIFT_FORMS, optional=True)
        _non_negative_int("window_checkpoints", self.window_checkpoints)
        _non_negative_int("laplacian_probes", self.laplacian_probes)
        _choice("train_moves", self.train_moves, MOVES, optional=True)
        _positive_int("train_steps", self.train_steps)
        _positive_int("batch", self.batch, optional=True)
        _positive_int("window", self.window, optional=True)
        if self.dt is not None:
            _positive("dt", self.dt)
        for name in ("learning_rate", "final_learning_rate", "init_width"):
            _positive(name, getattr(self, name))
        _non_negative("grad_clip", self.grad_clip)


@dataclass(frozen=True)
class NetworkConfig:
    """The drift (or trial log ψ) network."""

    width: int = 64  # hidden units per layer
    depth: int = 2  # hidden layers
    network_dtype: str = "float32"  # "float32" or "float64"; walkers are always float64
    boson_network: str | None = None  # bosons' log ψ: "pair" (MLP per pair) or "pooled"
    features: str | None = None  # log ψ inputs: "distances" or "coordinates" (FEATURES)

    def __post_init__(self) -> None:
        _choice("features", self.features, FEATURES, optional=True)
        _positive_int("width", self.width)
        _non_negative_int("depth", self.depth)
        _choice("network_dtype", self.network_dtype, ("float32", "float64"))
        _choice("boson_network", self.boson_network, BOSON_NETWORKS, optional=True)


def check_time_steps(name: str, dts: tuple, minimum: int = 2) -> None:
    """FkdriftError unless dts (Config field `name`) are `minimum` or more distinct positive
    time steps, each a whole multiple of the smallest (one shared Brownian lattice)."""
    if len(dts) < minimum or any(not _number(x) or not x > 0 for x in dts):
        raise FkdriftError(f"Config.{name} needs {minimum} or more positive time steps, "
                           f"got {dts!r}")
    if len(set(dts)) != len(dts):
        raise FkdriftError(f"Config.{name} must be distinct, got {dts!r}")
    for x in dts:
        if not _whole_multiple(x, min(dts)):
            raise FkdriftError(f"Config.{name}: {x} is not an integer multiple of the "
                               f"smallest step {min(dts)}")


@dataclass(frozen=True)
class EvaluationConfig:
    """The variational stage: correlated chains at several time steps (docs/method.md §4)."""

    eval_dts: tuple[float, ...] | None = None  # time steps, whole multiples of the smallest
    eval_walkers: int = 512  # independent walkers per chain
    eval_time: float | None = None  # measured time per walker (no target or budget)
    burn_in_time: float | None = None  # time each chain runs before measuring
    chunk_time: float = 0.08  # time per compiled chunk (progress and checkpoint grain)
    sample_every: float = 1.0  # time between density snapshots of the finest chain
    density_bins: int = 80  # bins of the stored density histograms

    def __post_init__(self) -> None:
        if self.eval_dts is not None:
            _check(isinstance(self.eval_dts, (tuple, list)), "eval_dts",
                   "a tuple of time steps", self.eval_dts)
            object.__setattr__(self, "eval_dts", tuple(self.eval_dts))
            self._check_dts()
        _positive_int("eval_walkers", self.eval_walkers)
        _positive_int("density_bins", self.density_bins)
        if self.eval_time is not None:
            _positive("eval_time", self.eval_time)
        for name in ("chunk_time", "sample_every"):
            _positive(name, getattr(self, name))
        _non_negative("burn_in_time", self.burn_in_time, optional=True)
        self.check_span("chunk_time", self.chunk_time)

    @property
    def lattice_dt(self) -> float:
        """The finest evaluation step: the spacing of the shared Brownian lattice."""
        return min(self.eval_dts)

    def _check_dts(self) -> None:
        check_time_steps("eval_dts", self.eval_dts)

    def check_span(self, name: str, span: float) -> None:
        """FkdriftError unless `span` (Config field `name`) is a whole number of every step."""
        if self.eval_dts is None or not _number(span):
            return
        if not all(_whole_multiple(span, x) for x in self.eval_dts):
            raise FkdriftError(f"Config.{name}={span} must be a whole number of every "
                               f"evaluation step (eval_dts={self.eval_dts})")


@dataclass(frozen=True)
class ReweightingConfig:
    """The reweighted stage: drift-guided, resampled populations (docs/method.md §4)."""

    estimator: str = "reweighted"  # which estimate Result.energy reports
    reweighted_time: float | None = None  # measured time (no target or budget)
    resample_interval: float = 0.08  # time between resamplings
    reweighted_moves: str = "metropolis"  # a log-psi guide's moves: "metropolis" or "euler"
    reweighted_dts: tuple[float, ...] | None = None  # time steps of Metropolis populations

    def __post_init__(self) -> None:
        _choice("estimator", self.estimator, ESTIMATORS)
        if self.reweighted_time is not None:
            _positive("reweighted_time", self.reweighted_time)
        _positive("resample_interval", self.resample_interval)
        _choice("reweighted_moves", self.reweighted_moves, MOVES)
        if self.reweighted_dts is not None:
            _check(isinstance(self.reweighted_dts, (tuple, list)), "reweighted_dts",
                   "a tuple of time steps", self.reweighted_dts)
            object.__setattr__(self, "reweighted_dts", tuple(self.reweighted_dts))
            check_time_steps("reweighted_dts", self.reweighted_dts, minimum=2)
            _check(all(_whole_multiple(self.resample_interval, x)
                       for x in self.reweighted_dts), "reweighted_dts",
                   "steps that divide resample_interval", self.reweighted_dts)


@dataclass(frozen=True)
class StoppingConfig:
    """When stages stop: an anytime run's target and budget (docs/anytime.md)."""

    target_error: float = 0.0  # error bar wanted; 0 = none
    time_budget: float = 0.0  # wall-clock seconds for the whole run; 0 = none
    training_share: float = 0.5  # part of time_budget that training may use
    max_eval_time: float = 1000.0  # an anytime stage's longest measured time per walker

    def __post_init__(self) -> None:
        _non_negative("target_error", self.target_error)
        _non_negative("time_budget", self.time_budget)
        _check(_number(self.training_share) and 0 < self.training_share < 1,
               "training_share", "between 0 and 1", self.training_share)
        _positive("max_eval_time", self.max_eval_time)


SECTIONS: dict[str, type] = {
    "training": TrainingConfig,
    "network": NetworkConfig,
    "evaluation": EvaluationConfig,
    "reweighting": ReweightingConfig,
    "stopping": StoppingConfig,
}
FIELD_SECTION: dict[str, str] = {f.name: section for section, cls in SECTIONS.items()
                                 for f in dataclasses.fields(cls)}
"""Each field's section (field names are unique across sections)."""


def default_drift_form(system) -> str:
    """The drift form for `system`: "gradient" for Coulomb charges, bosons, fermions or
    hard cores, else "free" (docs/method.md §7: on a double well the gradient drift settled in one
    well)."""
    identical = system.statistics in ("bosons", "fermions")
    return "gradient" if system.coulomb or identical or hard_core(system) else "free"


def hard_core(system) -> bool:
    """Whether `system` has a hard repulsive core between particles (`System.cores`)."""
    return getattr(system, "cores", None) is not None


def presets(system, drift_form: str) -> dict[str, Any]:
    """The per-system defaults of the fields left None, for a `drift_form` drift on
    `system` (the measurements behind them: docs/method.md §7)."""
    coulomb = bool(system.coulomb)
    free = drift_form == "free"
    fermions = system.statistics == "fermions"
    metropolis = not free and (coulomb or fermions or hard_core(system))
    return {
        "drift_form": drift_form,
        "batch": 128 if coulomb and free else 512,
        "window": (160 if coulomb else 40) if free else (2 if metropolis else 20),
        "dt": (0.04 if coulomb else 0.1) if metropolis else 0.01,
        "train_moves": "metropolis" if metropolis else "euler",
        "eval_dts": ((0.01, 0.005, 0.0025, 0.00125) if coulomb
                     else (0.04, 0.02, 0.01, 0.005)),
        "burn_in_time": 3.0 if free else 1.0,
        "reweighted_dts": (0.04, 0.02, 0.01) if coulomb else (0.08, 0.04, 0.02),
        "boson_network": default_boson_network(system),
        "features": default_features(system),
        **measured_times(system),
    }


def measured_times(system) -> dict[str, float]:
    """eval_time and reweighted_time of a run without a target or budget: 80 and 240,
    except for fermions around nuclei, whose walker-step costs some twenty times a
    boson's (the Hessian through the determinants; lithium, 9 coordinates: 110 µs per
    walker-step on 2 cores), so that a default lithium run ends in about 25 minutes: their
    variational stage, which only bounds E0 from chains of the same Metropolis moves,
    measures 10, and the reported reweighted estimate 120 (about ±0.4 mHa on lithium;
    docs/method.md §7)."""
    around_nuclei = system.statistics == "fermions" and system.coulomb and len(system.nuclei)
    if around_nuclei:
        return {"eval_time": 10.0, "reweighted_time": 120.0}
    return {"eval_time": 80.0, "reweighted_time": 240.0}


def check_fixed_node(config: Config, what: str = "fermions inside the guide's nodes",
                     run: str = "a fixed-node run") -> None:
    """One-line FkdriftError unless every move of a fermion run keeps the walkers in
    their nodal pockets (or, with `what` and `run`, those of a hard core out of it): a
    gradient guide (its sign is known) moved by Metropolis steps that reject node
    crossings, in training and in both estimators."""
    for name, value in (("drift_form", "gradient"), ("train_moves", "metropolis"),
                        ("reweighted_moves", "metropolis")):
        if getattr(config, name) != value:
            raise FkdriftError(
                f"Config.{name}={getattr(config, name)!r} cannot keep {what} "
                f"({run} needs {name}={value!r})")


def default_features(system) -> str:
    """"distances" for distinguishable particles around declared nuclei (the Hamiltonian
    is then taken to be invariant under the isometries that fix them), "coordinates"
    otherwise (bosons' networks read coordinates and distances in their own way)."""
    around_nuclei = system.coulomb and len(system.nuclei)
    return ("distances" if around_nuclei and system.statistics != "bosons"
            else "coordinates")


def default_boson_network(system) -> str:
    """"pooled" from `POOLED_FROM` particles on, "pair" below."""
    return "pooled" if system.particles >= POOLED_FROM else "pair"


POOLED_FROM = 8
"""Particle number from which the bosons' log ψ is `PooledLogPsi`: from there on its
walker-step is several times cheaper than `PairLogPsi`'s and default runs of 8 and 16
bosons agree with the independent DMC (benchmarks/PARTICLES.md)."""


@dataclass(frozen=True, init=False)
class Config:
    """Settings of one fkdrift run, by stage: `training`, `network`, `evaluation`,
    `reweighting`, `stopping` (each a frozen section; see their fields' comments).

    Build it from sections or from field names, which are unique across sections:
    `Config(batch=64, eval_time=40.0)` equals
    `Config(training=TrainingConfig(batch=64), evaluation=EvaluationConfig(eval_time=40.0))`.
    `config.batch` reads `config.training.batch`. Fields left None (drift_form, batch,
    window, dt, train_moves, eval_dts, burn_in_time, reweighted_dts, boson_network,
    features, eval_time, reweighted_time) are chosen per system by `for_system`
    (`presets`).
    """

    training: TrainingConfig
    network: NetworkConfig
    evaluation: EvaluationConfig
    reweighting: ReweightingConfig
    stopping: StoppingConfig

    def __init__(self, *, training: TrainingConfig | None = None,
                 network: NetworkConfig | None = None,
                 evaluation: EvaluationConfig | None = None,
                 reweighting: ReweightingConfig | None = None,
                 stopping: StoppingConfig | None = None, **fields: Any) -> None:
        given = {"training": training, "network": network, "evaluation": evaluation,
                 "reweighting": reweighting, "stopping": stopping}
        _check_names(fields)
        for section, cls in SECTIONS.items():
            value = given[section] if given[section] is not None else cls()
            if not isinstance(value, cls):
                raise FkdriftError(f"Config.{section} must be a {cls.__name__}, "
                                   f"got {type(value).__name__}")
            mine = {k: v for k, v in fields.items() if FIELD_SECTION[k] == section}
            object.__setattr__(self, section, dataclasses.replace(value, **mine)
                               if mine else value)
        self.evaluation.check_span("resample_interval", self.reweighting.resample_interval)

    def __getattr__(self, name: str) -> Any:
        section = FIELD_SECTION.get(name)
        if section is None or name.startswith("__"):
            raise AttributeError(f"'Config' has no attribute '{name}'")
        return getattr(object.__getattribute__(self, section), name)

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields (or whole sections) changed, validated."""
        sections = {k: changes.pop(k) for k in list(changes) if k in SECTIONS}
        current = {name: getattr(self, name) for name in SECTIONS}
        return Config(**{**current, **sections}, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Every field by name (flat: the HDF5 `config/` attributes, `--set` names)."""
        return {name: getattr(getattr(self, section), name)
                for name, section in FIELD_SECTION.items()}

    @classmethod
    def from_dict(cls, values: dict) -> Config:
        """The config of a stored flat dict (a result or checkpoint file); fields this
        version does not know are dropped, and files that predate an option read as it
        then was."""
        kwargs = {k: v for k, v in values.items() if k in FIELD_SECTION}
        if "training_share" not in values:  # written before anytime runs: time_budget
            kwargs.pop("time_budget", None)  # then meant seconds per evaluation stage
        kwargs.setdefault("burn_in_time", 3.0)  # the fixed default before the option
        kwargs.setdefault("train_moves", "euler")  # the only moves before the option
        kwargs.setdefault("drift_form", "free")  # the only form before the option
        kwargs.setdefault("reweighted_moves", "euler")  # the only moves before the option
        kwargs.setdefault("features", "coordinates")  # the only inputs before the option
        if kwargs.get("reweighted_dts") is not None:
            kwargs["reweighted_dts"] = tuple(float(x) for x in kwargs["reweighted_dts"])
        if kwargs.get("eval_dts") is not None:
            kwargs["eval_dts"] = tuple(float(x) for x in kwargs["eval_dts"])
        return cls(**kwargs)

    def for_system(self, system) -> Config:
        """This config with the fields left None filled in for `system` (`presets`)."""
        drift_form = self.drift_form or default_drift_form(system)
        missing = {k: v for k, v in presets(system, drift_form).items()
                   if getattr(self, k) is None}
        config = self.replace(**missing) if missing else self
        if system.statistics == "fermions":
            check_fixed_node(config)
        elif hard_core(system):
            check_fixed_node(config, "walkers out of the hard core",
                             "a run with a hard core")
        return config

    @property
    def lattice_dt(self) -> float:
        """The finest evaluation step: the spacing of the shared Brownian lattice."""
        return self.evaluation.lattice_dt


def _check_names(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(FIELD_SECTION))
    if unknown:
        raise FkdriftError(f"unknown Config field(s): {', '.join(unknown)}"
                           + did_you_mean(unknown[0], list(FIELD_SECTION)))
