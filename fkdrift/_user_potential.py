"""Loading a user's potential from `path/to/file.py:function`."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

from ._errors import FkdriftError


def load_potential(spec: str) -> Callable:
    """Import `function` from the Python file `path` given as "path.py:function"."""
    path_str, sep, func_name = spec.rpartition(":")
    if not sep or not path_str or not func_name:
        raise FkdriftError(
            f"'{spec}' is not a built-in name or path/to/file.py:function"
        )
    path = Path(path_str)
    if not path.is_file():
        raise FkdriftError(f"potential file {path} does not exist")
    module_name = f"fkdrift_user_{abs(hash(str(path.resolve())))}"
    try:
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError("not a Python file")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        module_spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - any failure is the user's file
        sys.modules.pop(module_name, None)
        detail = str(exc).splitlines()[0] if str(exc) else ""
        raise FkdriftError(f"cannot import {path}: {type(exc).__name__}: {detail}") from exc
    func = getattr(module, func_name, None)
    if not callable(func):
        raise FkdriftError(f"{path} has no function '{func_name}'")
    return func


def source_fingerprint(source: dict) -> str:
    """A SHA-256 of what defines a system's potential: for a file:function potential the
    file's bytes, the function name and its keyword options; for a built-in its name and
    options; "" when the system has no rebuildable source (a potential from Python)."""
    import hashlib
    import json

    if "file" in source:
        path = Path(source["file"].rpartition(":")[0])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise FkdriftError(f"potential file {path} cannot be read: "
                               f"{exc.strerror or exc}") from exc
    elif "builtin" in source:
        content = b""
    else:
        return ""
    digest = hashlib.sha256(content)
    digest.update(json.dumps(source, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def check_source_unchanged(source: dict, recorded: str | None) -> None:
    """Refuse (one line) to continue a run whose potential's source is gone or differs
    from the fingerprint `recorded` when the run started (None: an old checkpoint that
    recorded none)."""
    if not recorded:
        return
    if "file" in source:
        path = Path(source["file"].rpartition(":")[0])
        if not path.is_file():
            raise FkdriftError(f"the potential file {path} of this run is gone; put it "
                               "back to resume (the checkpoint is kept)")
    if source_fingerprint(source) != recorded:
        what = source.get("file", source.get("builtin", "the potential"))
        raise FkdriftError(f"{what} changed since the checkpoint was written; restore it to "
                           "resume (the checkpoint is kept), or start over with solve --force")


def check_keywords(func: Callable, keywords: dict, shape: tuple[int, int]) -> None:
    """A one-line FkdriftError naming the -o option a file potential cannot use: when V
    with `keywords` bound fails to trace at r of `shape` but works with one of them left
    at its default, that one is named. Nothing when V fails without them too (then
    `System.check_potential` reports V's own error)."""
    import functools

    import jax
    import jax.numpy as jnp

    def failure(bound: dict) -> Exception | None:
        try:
            jax.eval_shape(functools.partial(func, **bound),
                           jax.ShapeDtypeStruct(shape, jnp.float64))
        except Exception as exc:  # noqa: BLE001 - any failure is the user's V or option
            return exc
        return None

    exc = failure(keywords) if keywords else None
    if exc is None:
        return
    for key, value in keywords.items():
        if failure({k: v for k, v in keywords.items() if k != key}) is None:
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise FkdriftError(f"option {key}={value!r} does not work with "
                               f"{func.__name__}: {type(exc).__name__}: {first}") from exc
