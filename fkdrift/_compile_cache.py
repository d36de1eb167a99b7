"""The persistent compilation cache of the command line (`use_compile_cache`)."""

from __future__ import annotations

import os
from pathlib import Path

COMPILE_CACHE = Path("~/.cache/fkdrift/jax")
"""Where the command line keeps compiled steps between runs (XDG_CACHE_HOME moves it)."""


def use_compile_cache(setting: str | None) -> None:
    """Keep compiled steps on disk (JAX's persistent compilation cache), so that a run
    after the first of its kind skips most compilation: `setting` is a directory, "off",
    or None for `COMPILE_CACHE`. It also has equinox's checks (inside diffrax's solves)
    return NaN, which fkdrift's own checks catch, instead of calling back to the host,
    which would keep the training step out of the cache: both settings are process-wide,
    so the command line calls it, and a Python caller may."""
    if setting == "off":
        return
    if setting is None:
        base = os.environ.get("XDG_CACHE_HOME")
        setting = str(Path(base) / "fkdrift" / "jax" if base else COMPILE_CACHE.expanduser())
    import jax

    jax.config.update("jax_compilation_cache_dir", setting)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    try:
        import equinox._errors as eqx_errors  # a private switch: kept only where it exists
    except ImportError:
        return
    if getattr(eqx_errors, "EQX_ON_ERROR", None) == "raise":
        eqx_errors.EQX_ON_ERROR = "nan"
