"""Shared pytest setup: double precision for every test (importing fkdrift does it too),
and how to run the installed command line."""

import shutil
import sys
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

_SCRIPT = shutil.which("fkdrift", path=str(Path(sys.executable).parent)) or shutil.which(
    "fkdrift")
FKDRIFT = [_SCRIPT] if _SCRIPT else [sys.executable, "-c", "from fkdrift.cli import main; main()"]
"""argv prefix that runs `fkdrift` as a user would (a subprocess)."""
