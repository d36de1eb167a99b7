"""`fkdrift.Config`: defaults, validation (FkdriftError naming the field), replace, dicts."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math

import pytest

import fkdrift
from fkdrift import Config, FkdriftError
from fkdrift._config import (
    FIELD_SECTION,
    SECTIONS,
    EvaluationConfig,
    NetworkConfig,
    ReweightingConfig,
    StoppingConfig,
    TrainingConfig,
)

FIELDS = list(FIELD_SECTION)


@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_field_has_a_one_line_comment(section):
    lines = inspect.getsource(SECTIONS[section]).splitlines()
    for f in dataclasses.fields(SECTIONS[section]):
        line = next(x for x in lines if x.strip().startswith(f"{f.name}:"))
        assert "  # " in line, f"Config.{f.name} has no comment"


def test_sections_and_field_names_build_the_same_config():
    by_name = Config(batch=64, eval_time=40.0, estimator="variational")
    by_section = Config(training=TrainingConfig(batch=64),
                        evaluation=EvaluationConfig(eval_time=40.0),
                        reweighting=ReweightingConfig(estimator="variational"))
    assert by_name == by_section and hash(by_name) == hash(by_section)
    assert by_name.training.batch == by_name.batch == 64
    assert by_name.replace(stopping=StoppingConfig(target_error=1e-3)).target_error == 1e-3
    assert Config(training=TrainingConfig(batch=64), batch=32).batch == 32  # names win
    with pytest.raises(FkdriftError, match="Config.training must be a TrainingConfig"):
        Config(training=NetworkConfig())
    with pytest.raises(FkdriftError, match="resample_interval"):
        Config(eval_dts=(0.04, 0.02), resample_interval=0.03)  # spans two sections


def test_defaults_are_valid():
    config = Config()
    assert config.eval_dts is None  # chosen per system
    import potentials

    resolved = config.for_system(potentials.harmonic())
    assert resolved.eval_dts == (0.04, 0.02, 0.01, 0.005)
    assert resolved.lattice_dt == min(resolved.eval_dts)
    assert config.for_system(potentials.hydrogen()).eval_dts == (0.01, 0.005, 0.0025, 0.00125)
    # the drift form is chosen per system: gradient for Coulomb systems and bosons, whose
    # walkers move 0.2 time units per update (Euler) or two Metropolis-adjusted steps of
    # 0.04 (Coulomb systems); free (path windows) otherwise
    assert config.drift_form is None
    assert (resolved.drift_form, resolved.batch, resolved.window, resolved.dt,
            resolved.burn_in_time) == ("free", 512, 40, 0.01, 3.0)
    coulomb = config.for_system(potentials.helium())
    assert (coulomb.drift_form, coulomb.batch, coulomb.window, coulomb.dt,
            coulomb.train_moves, coulomb.burn_in_time, coulomb.features) == (
        "gradient", 512, 2, 0.04, "metropolis", 1.0, "distances")
    bosons = config.for_system(potentials.trapped_bosons(3))
    assert (bosons.window, bosons.dt, bosons.train_moves) == (20, 0.01, "euler")
    assert config.for_system(potentials.trapped_bosons(3)).drift_form == "gradient"
    gradient = Config(drift_form="gradient").for_system(potentials.harmonic())
    assert (gradient.window, gradient.burn_in_time) == (20, 1.0)
    free = Config(drift_form="free")
    # free drift, Coulomb: back-propagated windows of time 1.6, fewer walkers
    coulomb = free.for_system(potentials.helium())
    assert (coulomb.batch, coulomb.window, coulomb.dt) == (128, 160, 0.01)
    # explicit values are kept
    assert Config(batch=64, window=8).for_system(potentials.helium()).batch == 64


def test_config_is_exported_and_frozen():
    assert fkdrift.Config is Config
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().train_steps = 3  # type: ignore[misc]


BAD_VALUES = [
    ("train_steps", 0), ("train_steps", -1), ("train_steps", 1.5), ("train_steps", "10"),
    ("train_steps", True),
    ("batch", 0), ("batch", -64), ("batch", 2.0),
    ("window", 0), ("width", 0), ("eval_walkers", 0), ("density_bins", 0),
    ("depth", -1), ("depth", 1.0),
    ("dt", 0.0), ("dt", -0.01), ("dt", float("nan")), ("dt", "0.01"),
    ("learning_rate", 0.0), ("final_learning_rate", -1e-5),
    ("eval_time", 0.0), ("chunk_time", 0.0), ("init_width", 0.0), ("sample_every", 0.0),
    ("max_eval_time", -1.0), ("time_budget", -1.0),
    ("training_share", 0.0), ("training_share", 1.0),
    ("burn_in_time", -0.1), ("target_error", -1e-3), ("grad_clip", -1.0),
    ("network_dtype", "float16"), ("drift_form", "gradients"), ("drift_form", 1),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES, ids=lambda v: repr(v))
def test_invalid_field_raises_fkdrift_error_naming_the_field(name, value):
    with pytest.raises(FkdriftError, match=rf"\b{name}\b"):
        Config(**{name: value})
    with pytest.raises(FkdriftError, match=rf"\b{name}\b"):
        Config().replace(**{name: value})


def test_error_message_is_one_line():
    with pytest.raises(FkdriftError) as exc:
        Config(batch=0)
    assert "\n" not in str(exc.value)


def test_zero_is_allowed_where_documented():
    config = Config(burn_in_time=0.0, target_error=0.0, grad_clip=0.0, depth=0)
    assert config.depth == 0


@pytest.mark.parametrize(
    "dts",
    [(0.015, 0.01), (0.02, 0.01, 0.0075), (0.03, 0.02)],
    ids=str,
)
def test_eval_dts_not_integer_multiples_rejected(dts):
    with pytest.raises(FkdriftError, match="eval_dts.*integer multiple"):
        Config(eval_dts=dts)


@pytest.mark.parametrize(
    "dts",
    [(0.01,), (), (0.02, 0.01, 0.01), (0.02, 0.0), (0.02, -0.01)],
    ids=str,
)
def test_eval_dts_need_two_distinct_positive_steps(dts):
    with pytest.raises(FkdriftError, match="eval_dts"):
        Config(eval_dts=dts)


def test_eval_dts_accepts_lists_and_integer_multiples():
    config = Config(eval_dts=[0.08, 0.02, 0.04])
    assert config.eval_dts == (0.08, 0.02, 0.04)
    assert config.lattice_dt == 0.02


def test_chunk_time_must_be_whole_number_of_every_eval_step():
    with pytest.raises(FkdriftError, match="chunk_time"):
        Config(chunk_time=0.25, eval_dts=(0.02, 0.01))  # 0.25 / 0.02 = 12.5
    assert Config(chunk_time=0.3, eval_dts=(0.02, 0.01)).chunk_time == 0.3


def test_replace_changes_fields_and_keeps_original():
    base = Config()
    changed = base.replace(train_steps=30, batch=64, eval_dts=(0.02, 0.01))
    assert (changed.train_steps, changed.batch, changed.eval_dts) == (30, 64, (0.02, 0.01))
    assert base.train_steps == Config().train_steps


def test_replace_unknown_field_rejected():
    with pytest.raises(FkdriftError, match="unknown Config field.*train_step"):
        Config().replace(train_step=10)
    with pytest.raises(FkdriftError, match="bogus"):
        Config().replace(bogus=1, batch=8)


def test_replace_validates():
    with pytest.raises(FkdriftError, match="batch"):
        Config().replace(batch=-1)


def test_to_dict_from_dict_round_trip():
    config = Config(train_steps=30, batch=64, window=10, eval_walkers=128, eval_time=1.0,
                    burn_in_time=0.5, eval_dts=(0.08, 0.04, 0.02), network_dtype="float64")
    values = config.to_dict()
    assert set(values) == set(FIELDS)
    assert Config.from_dict(values) == config
    # through JSON (as in the HDF5 `config` attribute): tuples come back as lists
    again = Config.from_dict(json.loads(json.dumps(values)))
    assert again == config
    assert isinstance(again.eval_dts, tuple)


def test_from_dict_ignores_unknown_keys_and_validates():
    assert Config.from_dict({"batch": 32, "not_a_field": 1}).batch == 32
    with pytest.raises(FkdriftError, match="batch"):
        Config.from_dict({"batch": 0})


def test_eval_dts_scalar_rejected_with_fkdrift_error():
    with pytest.raises(FkdriftError, match="eval_dts"):
        Config(eval_dts=0.01)


@pytest.mark.parametrize("name", ["dt", "eval_time"])
def test_infinite_values_rejected(name):
    with pytest.raises(FkdriftError, match=name):
        Config(**{name: math.inf})


def test_files_written_before_anytime_runs_keep_their_meaning():
    """time_budget once meant seconds per evaluation stage (with target_error only); a
    stored config without training_share must not turn into an anytime run."""
    old = Config().to_dict()
    del old["training_share"]
    old["time_budget"] = 600.0
    assert Config.from_dict(old).time_budget == 0.0
    assert Config.from_dict({**old, "training_share": 0.5}).time_budget == 600.0


def test_files_from_before_the_drift_form_option_load_their_free_drift():
    old = {k: v for k, v in Config().to_dict().items() if k != "drift_form"}
    assert Config.from_dict(old).drift_form == "free"
    assert Config.from_dict(Config(drift_form="gradient").to_dict()).drift_form == "gradient"
