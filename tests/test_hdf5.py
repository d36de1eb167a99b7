"""HDF5 result files: round trip, documented layout, atomic writes, damaged files; and
reproducibility of `fkdrift.solve` (it shares this module's solved result)."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
from pathlib import Path

import h5py
import jax.numpy as jnp
import numpy as np
import pytest

import fkdrift
import potentials
from fkdrift import Config, FkdriftError, Result, System

FAST = Config(train_steps=30, batch=64, window=10, dt=0.01, eval_walkers=128, eval_time=1.0,
              burn_in_time=0.5, eval_dts=(0.02, 0.01, 0.005))
SYSTEM_OPTIONS = {"dim": 2, "omega": 1.0}
INFO_KEYS = ("seed", "device", "device_count", "train_time", "eval_time", "wall_time",
             "parameters", "stop_reason", "fkdrift_version", "jax_version")


@pytest.fixture(scope="module")
def result() -> Result:
    return fkdrift.solve(potentials.get("harmonic", **SYSTEM_OPTIONS), seed=0, config=FAST)


@pytest.fixture(scope="module")
def saved(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "harmonic2d.h5"
    result.save(path)
    return path


@pytest.fixture(scope="module")
def loaded(saved) -> Result:
    return fkdrift.load(saved)


def assert_same_values(a, b, where=""):
    """Equal scalars/arrays/strings, NaN == NaN."""
    if isinstance(a, str) or isinstance(b, str):
        assert a == b, where
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, where
    np.testing.assert_array_equal(a, b, err_msg=where)


def assert_same_tree(a: dict, b: dict, where=""):
    assert set(a) == set(b), where
    for key in a:
        if isinstance(a[key], dict):
            assert_same_tree(a[key], b[key], f"{where}/{key}")
        else:
            assert_same_values(a[key], b[key], f"{where}/{key}")


# --------------------------------------------------------------------------- the result


def test_fast_result_is_sane(result):
    assert isinstance(result, Result)
    assert math.isfinite(result.energy) and result.energy_error > 0
    assert result.samples.shape[1:] == (1, 2)
    assert result.exact_energy == pytest.approx(1.0)
    assert abs(result.energy - 1.0) < 0.5  # a 30-step drift is rough but not absurd
    var = result.estimates["variational"]
    assert list(var.dts) == list(FAST.eval_dts)
    assert np.dot(var.fit.coefficients, var.energies) == pytest.approx(var.extrapolated)
    rw = result.estimates["reweighted"]
    assert result.estimator.startswith("reweighted")
    assert rw.extrapolated == result.energy
    assert np.dot(rw.fit.coefficients, rw.energies) == pytest.approx(result.energy)
    for key in ("step", "loss", "energy", "energy_spread", "grad_norm", "wall_time"):
        assert np.shape(result.history[key]) == (FAST.train_steps,)
    for key in INFO_KEYS:
        assert key in result.info


# --------------------------------------------------------------------------- round trip


def test_load_returns_result(loaded):
    assert isinstance(loaded, Result)


def test_round_trip_energy(result, loaded):
    assert loaded.energy == result.energy
    assert loaded.energy_error == result.energy_error
    assert loaded.estimator == result.estimator


def test_round_trip_estimates(result, loaded):
    assert set(loaded.estimates) == set(result.estimates)
    for name, est in result.estimates.items():
        again = loaded.estimates[name]
        assert type(again) is type(est) and again.record().keys() == est.record().keys()
        stored = again.record()
        for key, value in est.record().items():
            assert_same_values(value, stored[key], f"{name}/{key}")


def test_round_trip_arrays(result, loaded):
    np.testing.assert_array_equal(loaded.samples, result.samples)
    assert loaded.samples.dtype == np.asarray(result.samples).dtype
    assert_same_tree(result.history, loaded.history, "history")
    assert_same_tree(result.density, loaded.density, "density")


def test_round_trip_config_system_info(result, loaded):
    assert loaded.config == result.config == FAST.replace(
        drift_form="free", boson_network="pair", reweighted_dts=(0.08, 0.04, 0.02),
        train_moves="euler", features="coordinates", reweighted_time=240.0)  # filled in
    assert loaded.system.name == result.system.name == "harmonic"
    assert loaded.system.exact_energy == result.system.exact_energy == 1.0
    assert loaded.system.describe() == result.system.describe()
    assert loaded.exact_energy == result.exact_energy
    assert loaded.info == json.loads(json.dumps(result.info))
    assert loaded.summary() == result.summary()


def test_round_trip_params(result, loaded):
    assert_same_tree(result.params, loaded.params, "params")


def test_loaded_drift_is_identical(result, loaded):
    r = np.random.default_rng(1).normal(size=(17, 1, 2))
    original = np.asarray(result.drift(jnp.asarray(r)))
    again = np.asarray(loaded.drift(jnp.asarray(r)))
    assert original.shape == r.shape
    assert np.all(np.isfinite(original))
    np.testing.assert_array_equal(again, original)
    # leading batch axes are optional (float32 network: batch size may change rounding)
    np.testing.assert_allclose(np.asarray(loaded.drift(jnp.asarray(r[0]))), original[0],
                               rtol=1e-5, atol=1e-6)


def test_loaded_builtin_potential_is_rebuilt(loaded):
    r = np.array([[0.3, -0.4]])
    assert float(loaded.system.potential(jnp.asarray(r))) == pytest.approx(0.5 * 0.25)


def test_load_accepts_str_and_path(saved, result):
    assert fkdrift.load(str(saved)).energy == result.energy


# --------------------------------------------------------------------------- plain h5py


def test_layout_readable_with_plain_h5py(saved, result):
    with h5py.File(saved, "r") as f:
        assert f.attrs["format"] == "fkdrift-result"
        assert int(f.attrs["format_version"]) == 2
        assert set(f.attrs) == {"format", "format_version", "energy", "energy_error",
                                "estimator"}  # config, system, info once, in their groups
        assert float(f.attrs["energy"]) == result.energy
        assert float(f.attrs["energy_error"]) == result.energy_error
        assert isinstance(f.attrs["estimator"], str)
        stored = FAST.replace(drift_form="free", boson_network="pair",
                              reweighted_dts=(0.08, 0.04, 0.02), train_moves="euler",
                              features="coordinates", reweighted_time=240.0).to_dict()
        config = {k: v.tolist() if isinstance(v, np.ndarray) else v
                  for k, v in f["config"].attrs.items()}
        assert config == json.loads(json.dumps(stored))
        system = f["system"].attrs
        assert system["name"] == "harmonic" and system["dim"] == 2
        assert system["particles"] == 1 and system["exact_energy"] == 1.0
        assert json.loads(system["source"])["builtin"] == "harmonic"
        for key in INFO_KEYS:
            assert key in f["info"].attrs, f"info attribute {key} missing"
        assert int(f["info"].attrs["seed"]) == 0

        assert set(f["config"].attrs) == set(Config().to_dict())
        assert int(f["config"].attrs["train_steps"]) == FAST.train_steps
        np.testing.assert_allclose(f["config"].attrs["eval_dts"], FAST.eval_dts)
        assert f["system"].attrs["name"] == "harmonic"

        var = f["energy/variational"]
        k = len(FAST.eval_dts)
        for key in ("dts", "energies", "errors", "raw_energies", "raw_errors",
                    "coefficients"):
            assert var[key].shape == (k,), key
        np.testing.assert_allclose(var["dts"][()], FAST.eval_dts)
        for key in ("extrapolated", "extrapolated_error", "order", "curvature",
                    "curvature_error", "chi2", "dof", "p_value", "measured_time", "walkers",
                    "replicas", "stop_reason"):
            assert key in var.attrs, key
        assert int(var.attrs["order"]) == (2 if k >= 3 else 1)
        assert np.dot(var["coefficients"][()], var["energies"][()]) == pytest.approx(
            float(var.attrs["extrapolated"]))
        rw = f["energy/reweighted"]
        assert float(rw.attrs["extrapolated"]) == result.energy
        assert float(f.attrs["energy"]) == result.energy
        for key in ("dts", "energies", "errors", "coefficients", "log_weight_std",
                    "population_bias"):
            assert rw[key].shape == (k,), key
        assert int(rw.attrs["independent_samples"]) >= 16
        assert f["info"].attrs["warnings"].ndim == 1  # one string per warning

        for key in ("step", "loss", "energy", "energy_spread", "grad_norm", "wall_time"):
            assert f["training"][key].shape == (FAST.train_steps,), key

        samples = f["samples"]
        assert samples.ndim == 3 and samples.shape[1:] == (1, 2)
        np.testing.assert_array_equal(samples[()], result.samples)

        density = f["density"]
        bins = FAST.density_bins
        for name in ("axis0", "axis1", "radial"):
            edges, dens = density[f"{name}_edges"][()], density[f"{name}_density"][()]
            assert edges.shape == (bins + 1,) and dens.shape == (bins,), name
            assert np.sum(dens * np.diff(edges)) == pytest.approx(1.0), name
        assert "pair_edges" not in density  # one particle

        params = f["drift/params"]
        leaves = []
        params.visititems(lambda name, obj: leaves.append(name)
                          if isinstance(obj, h5py.Dataset) else None)
        assert leaves, "no network parameters stored"
        total = sum(params[name].size for name in leaves)
        assert total == int(f["info"].attrs["parameters"])


# --------------------------------------------------------------------------- writing


def test_save_is_atomic_and_leaves_no_temp_files(result, tmp_path):
    path = tmp_path / "run.h5"
    result.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5"]
    assert not list(tmp_path.glob("*.tmp"))


def test_save_creates_missing_folders(result, tmp_path):
    path = tmp_path / "a" / "b" / "run.h5"
    result.save(path)
    assert fkdrift.load(path).energy == result.energy


def test_save_over_existing_file_replaces_it(result, tmp_path):
    path = tmp_path / "run.h5"
    path.write_text("an old unrelated file\n")
    result.save(path)
    assert fkdrift.load(path).energy == result.energy
    other = dataclasses.replace(result, energy=123.25, energy_error=0.5)
    other.save(path)
    again = fkdrift.load(path)
    assert (again.energy, again.energy_error) == (123.25, 0.5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5"]


def test_failed_save_keeps_old_file_and_no_temp(result, tmp_path, monkeypatch):
    from fkdrift import _hdf5 as hdf5

    path = tmp_path / "run.h5"
    result.save(path)
    before = path.read_bytes()

    def boom(f, res):
        f.attrs["format"] = "half written"
        raise RuntimeError("disk full")

    monkeypatch.setattr(hdf5, "_write", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        result.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5"]


@pytest.mark.parametrize("kind", ["directory", "file_as_folder"])
def test_save_to_unwritable_path_raises(result, tmp_path, kind):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    path = tmp_path if kind == "directory" else blocker / "x.h5"
    with pytest.raises(FkdriftError, match=str(tmp_path.name)):
        result.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_custom_python_potential_round_trip(result, tmp_path):
    """A System built in Python (no source) still loads; its drift works, V says why not."""

    def well(r):
        return 0.5 * jnp.sum(r**2)

    custom = dataclasses.replace(result, system=System(potential=well, dim=2, name="my_well",
                                                       exact_energy=1.0))
    path = tmp_path / "custom.h5"
    custom.save(path)
    again = fkdrift.load(path)
    assert again.system.name == "my_well" and again.system.exact_energy == 1.0
    r = jnp.asarray(np.random.default_rng(2).normal(size=(5, 1, 2)))
    np.testing.assert_array_equal(np.asarray(again.drift(r)), np.asarray(result.drift(r)))
    with pytest.raises(FkdriftError, match="my_well"):
        again.system.potential(r[0])


# --------------------------------------------------------------------------- bad files


def test_load_missing_file(tmp_path):
    with pytest.raises(FkdriftError, match="no result file"):
        fkdrift.load(tmp_path / "missing.h5")


def test_load_directory(tmp_path):
    with pytest.raises(FkdriftError):
        fkdrift.load(tmp_path)


@pytest.mark.parametrize("fraction", [0.5, 0.1, 0.9])
def test_load_truncated_file(saved, tmp_path, fraction):
    path = tmp_path / "cut.h5"
    shutil.copy(saved, path)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(int(size * fraction))
    with pytest.raises(FkdriftError, match="cut.h5"):
        fkdrift.load(path)


def test_load_empty_file(tmp_path):
    path = tmp_path / "empty.h5"
    path.write_bytes(b"")
    with pytest.raises(FkdriftError):
        fkdrift.load(path)


def test_load_foreign_hdf5(tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.arange(5.0)
        f.attrs["energy"] = 1.0
    with pytest.raises(FkdriftError, match="not an fkdrift result"):
        fkdrift.load(path)


def test_load_tagged_but_incomplete_hdf5(tmp_path):
    path = tmp_path / "incomplete.h5"
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "fkdrift-result"
        f.attrs["format_version"] = 1
    with pytest.raises(FkdriftError):
        fkdrift.load(path)


def test_load_future_format_version(saved, tmp_path):
    path = tmp_path / "future.h5"
    shutil.copy(saved, path)
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = 99
    with pytest.raises(FkdriftError, match="version 99"):
        fkdrift.load(path)


def test_load_text_file(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("this is not HDF5\n" * 10)
    with pytest.raises(FkdriftError):
        fkdrift.load(path)


# --------------------------------------------------------------------------- reproducibility


def test_same_seed_same_numbers(result):
    again = fkdrift.solve(potentials.get("harmonic", **SYSTEM_OPTIONS), seed=0, config=FAST)
    assert again.energy == result.energy
    assert again.energy_error == result.energy_error
    np.testing.assert_array_equal(again.estimates["variational"].energies,
                                  result.estimates["variational"].energies)
    np.testing.assert_array_equal(again.samples, result.samples)
    np.testing.assert_array_equal(again.history["loss"], result.history["loss"])


def test_different_seed_different_numbers(result):
    other = fkdrift.solve(potentials.get("harmonic", **SYSTEM_OPTIONS), seed=1, config=FAST)
    assert other.info["seed"] == 1
    assert other.energy != result.energy
    assert not np.array_equal(other.samples, result.samples)
    assert not np.array_equal(other.history["loss"], result.history["loss"])


@pytest.mark.parametrize("damage", ["reshaped", "renamed", "retyped"])
def test_load_checks_parameters_against_the_network(saved, tmp_path, damage):
    """A file whose drift parameters do not fit the network it describes is refused with a
    one-line error (not an exception deep inside flax when the drift is first used)."""
    path = tmp_path / f"{damage}.h5"
    shutil.copy(saved, path)
    with h5py.File(path, "r+") as f:
        names: list[str] = []
        f["drift/params"].visititems(
            lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        name = next(n for n in names if n.endswith("kernel"))
        data = f["drift/params"][name][()]
        del f["drift/params"][name]
        if damage == "reshaped":
            f["drift/params"][name] = data[:-1]
        elif damage == "renamed":
            f["drift/params"][name + "_x"] = data
        else:
            f["drift/params"][name] = data.astype(np.float16)
    with pytest.raises(FkdriftError, match="drift parameter") as exc:
        fkdrift.load(path)
    assert "\n" not in str(exc.value)


def test_save_removes_temporaries_of_dead_writers_only(result, tmp_path):
    """A save killed with SIGKILL leaves its temporary file; the next save to the same
    path removes it when its writer is gone, and leaves a live writer's alone."""
    import subprocess

    path = tmp_path / "run.h5"
    live = subprocess.Popen(["sleep", "30"])
    try:
        dead = subprocess.Popen(["true"])
        dead.wait()
        stale = tmp_path / f".run.h5.{dead.pid}.abc.h5.tmp"
        busy = tmp_path / f".run.h5.{live.pid}.def.h5.tmp"
        stale.write_bytes(b"half")
        busy.write_bytes(b"half")
        result.save(path)
        assert not stale.exists() and busy.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run.h5", busy.name])
    finally:
        live.kill()


def test_warnings_and_info_round_trip(result, tmp_path):
    noted = dataclasses.replace(result, info={**result.info, "warnings": ["one", "two ±σ"],
                                              "resumed_from": "training"})
    noted.save(tmp_path / "noted.h5")
    assert fkdrift.load(tmp_path / "noted.h5").info == noted.info


def test_format_version_1_still_loads():
    """The committed results were written as version 1 (config, system and info as JSON
    root attributes): they load to the same records as a version-2 copy of themselves."""
    path = Path(__file__).resolve().parent.parent / "results" / "helium.h5"
    with h5py.File(path, "r") as f:
        assert int(f.attrs["format_version"]) == 1
        info = json.loads(f.attrs["info"])
    old = fkdrift.load(path)
    assert old.info == info and old.system.name == "helium" and old.config.batch > 0
    assert old.estimates["reweighted"].extrapolated == old.energy
