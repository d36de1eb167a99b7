"""HDF5 result files (layout in docs/hdf5-format.md). Writes are atomic: temp file, rename.

This module knows the file layout and nothing of `Result` itself: `save_result` reads a
result's fields, `read_result_fields` returns them as a dict (`Result.load` builds the
object), so the import runs one way, result -> hdf5."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import h5py
import jax
import numpy as np
from flax.traverse_util import flatten_dict, unflatten_dict

from . import registry
from ._config import Config
from ._drift import init_drift_params
from ._errors import FkdriftError
from ._estimate import estimate_from_record
from ._files import remove_stale_temporaries
from ._guide import make_drift_model
from ._system import System

FORMAT = "fkdrift-result"
FORMAT_VERSION = 2
"""Version 2 stores config, system and info once each, as attributes of their groups;
version 1 also kept them as JSON root attributes (still read)."""

SYSTEM_JSON = ("source",)
"""System fields stored as JSON strings (the rest are numbers, strings or arrays)."""


def check_writable(path: str | os.PathLike) -> Path:
    """Raise FkdriftError unless a result file can be created at `path` (checked up front,
    creating nothing: missing folders are made when the result is saved)."""
    path = Path(path)
    if path.is_dir():
        raise FkdriftError(f"output path {path} is a directory; give a file name like run.h5")
    ancestor = path.parent if str(path.parent) else Path(".")
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise FkdriftError(f"cannot write to {path}: {ancestor} is a file, not a folder; "
                           "choose another --out")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise FkdriftError(f"cannot write to {path} ({ancestor} is not writable); "
                           "choose another --out")
    return path


def _write_dict(group: h5py.Group, values: dict[str, Any]) -> None:
    for k, v in values.items():
        group.create_dataset(k, data=np.asarray(v))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_result(result, path: str | os.PathLike) -> None:
    """Write `result` to `path` via a temporary file in the same folder, then rename."""
    path = check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".h5.tmp",
                               dir=path.parent)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            _write(f, result)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a result is a normal file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write(f: h5py.File, result) -> None:
    f.attrs["format"] = FORMAT
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["energy"] = result.energy
    f.attrs["energy_error"] = result.energy_error
    f.attrs["estimator"] = result.estimator
    config = f.create_group("config")
    for key, value in result.config.to_dict().items():
        config.attrs[key] = np.asarray(value) if isinstance(value, tuple) else value
    system = f.create_group("system")
    for key, value in result.system.describe().items():
        system.attrs[key] = json.dumps(value) if key in SYSTEM_JSON else value
    info = f.create_group("info")
    for key, value in result.info.items():
        if value is None:
            continue  # read back as absent, which `info.get` treats alike
        info.attrs[key] = (np.asarray(value, dtype=h5py.string_dtype())
                           if key == "warnings" else value)
    estimates = f.create_group("energy")
    for name, est in result.estimates.items():
        g = estimates.create_group(name)
        for key, value in est.record().items():
            if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
                g.attrs[key] = value
            else:
                g.create_dataset(key, data=np.asarray(value))
    _write_dict(f.create_group("training"), result.history)
    f.create_dataset("samples", data=np.asarray(result.samples), compression="gzip")
    _write_dict(f.create_group("density"), result.density)
    params = f.create_group("drift/params")
    for keys, leaf in flatten_dict(result.params).items():
        params.create_dataset("/".join(keys), data=np.asarray(leaf))


def read_result_fields(path: str | os.PathLike) -> dict[str, Any]:
    """The fields of a `Result` written by `save_result`, by name; FkdriftError for missing
    or foreign files."""
    path = Path(path)
    if not path.is_file():
        raise FkdriftError(f"no result file at {path}")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                raise FkdriftError(f"{path} is not an fkdrift result file (no '{FORMAT}' tag)")
            version = int(f.attrs["format_version"])
            if version > FORMAT_VERSION:
                raise FkdriftError(
                    f"{path} has format version {version}; this fkdrift reads up to "
                    f"{FORMAT_VERSION} (upgrade fkdrift)"
                )
            return _read(f)
    except FkdriftError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise FkdriftError(f"cannot read {path}: damaged or truncated file ({exc})") from exc


def _read_group(group: h5py.Group) -> dict[str, Any]:
    out: dict[str, Any] = {k: group[k][()] for k in group}
    out.update({k: v.item() if isinstance(v, np.generic) else v for k, v in group.attrs.items()})
    return out


def _plain(value: Any) -> Any:
    """An attribute as plain Python: numbers, strings, lists."""
    if isinstance(value, np.ndarray):
        return [_plain(x) for x in value] if value.dtype.kind in "OSU" else value.tolist()
    if isinstance(value, bytes):
        return value.decode()
    return value.item() if isinstance(value, np.generic) else value


def _records(f: h5py.File) -> tuple[dict, dict, dict]:
    """(config, system, info) as plain dicts, from either format version."""
    if int(f.attrs["format_version"]) < 2:
        return tuple(json.loads(f.attrs[name]) for name in ("config", "system", "info"))
    config, system, info = ({k: _plain(v) for k, v in f[name].attrs.items()}
                            for name in ("config", "system", "info"))
    for key in SYSTEM_JSON:
        if key in system:
            system[key] = json.loads(system[key])
    info["warnings"] = list(info.get("warnings", []))
    return config, system, info


def _read(f: h5py.File) -> dict[str, Any]:
    config_record, system_record, info = _records(f)
    config = Config.from_dict(config_record)
    system = rebuild_system(system_record)
    params: dict[tuple[str, ...], Any] = {}
    f["drift/params"].visititems(
        lambda name, obj: params.__setitem__(tuple(name.split("/")), np.asarray(obj))
        if isinstance(obj, h5py.Dataset) else None
    )
    params = unflatten_dict(params)
    check_params(params, system, config)
    return dict(
        energy=float(f.attrs["energy"]),
        energy_error=float(f.attrs["energy_error"]),
        estimator=str(f.attrs["estimator"]),
        estimates={k: estimate_from_record(k, _read_group(g)) for k, g in f["energy"].items()},
        samples=f["samples"][()],
        params=params,
        history=_read_group(f["training"]),
        density=_read_group(f["density"]),
        config=config,
        system=system,
        info=info,
    )


def check_params(params: dict, system: System, config: Config) -> None:
    """Raise FkdriftError unless `params` has exactly the names, shapes and dtypes of the
    drift network that `system` and `config` build (a file is not trusted to match)."""
    model = make_drift_model(system, config.network, config.training.drift_form)
    expected = jax.eval_shape(lambda: init_drift_params(model, jax.random.PRNGKey(0), system))
    want = {"/".join(k): v for k, v in flatten_dict(expected).items()}
    have = {"/".join(k): v for k, v in flatten_dict(params).items()}
    if set(want) != set(have):
        odd = sorted(set(want) ^ set(have))
        raise FkdriftError(f"drift parameters in the file do not match the network "
                           f"(e.g. {odd[0]}); the file is damaged or from another version")
    for name, spec in want.items():
        if tuple(have[name].shape) != tuple(spec.shape) or have[name].dtype != spec.dtype:
            raise FkdriftError(
                f"drift parameter {name} has shape {tuple(have[name].shape)} "
                f"{have[name].dtype} in the file, the network needs {tuple(spec.shape)} "
                f"{spec.dtype}; the file is damaged or from another version")


def rebuild_system(info: dict[str, Any]) -> System:
    """The `System` described by `System.describe()`: built-ins and files are rebuilt;
    otherwise a system whose potential raises when called (the drift still works)."""
    source = info.get("source", {})
    if "builtin" in source:  # its cores as stored: loading a file does not probe V
        return dataclasses.replace(registry.build(source["builtin"], **source.get("kwargs", {})),
                                   pair_core=_stored_cores(info))
    if "file" in source:
        from ._user_potential import load_potential

        try:
            potential = load_potential(source["file"])
            if source.get("kwargs"):
                potential = functools.partial(potential, **source["kwargs"])
        except FkdriftError:
            potential = _unavailable_potential(source["file"])
    else:
        potential = _unavailable_potential(info.get("name", "custom"))
    return System(
        potential=potential,
        particles=info["particles"],
        dim=info["dim"],
        name=info["name"],
        statistics=info.get("statistics", "distinguishable"),
        exact_energy=info.get("exact_energy"),
        reference_error=info.get("reference_error", 0.0),
        reference_source=info.get("reference_source", "exact"),
        nuclei=info.get("nuclei"),
        nuclear_charges=info.get("nuclear_charges"),
        particle_charge=info.get("particle_charge"),
        source=source,
        spins=tuple(info["spins"]) if "spins" in info else None,
        pair_core=_stored_cores(info),
    )


def _stored_cores(info: dict[str, Any]) -> tuple | None:
    """The hard cores a file stores (`System.describe`); None where it stores none."""
    if "pair_core_strength" not in info:
        return None
    return (info["pair_core_strength"], info["pair_core_power"])


def _unavailable_potential(label: str):
    def potential(r):
        raise FkdriftError(
            f"the potential of '{label}' is not stored in result files; build the System "
            "again with your potential to re-run it"
        )

    return potential
