"""Atomic writes: the temporary files of a save are named `.NAME.PID.*.tmp` beside the
target, so that a later save can tell an abandoned one (its process is gone) from a
save in progress."""

from __future__ import annotations

import os
from pathlib import Path


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete the temporary files of earlier saves to `path` whose writer process is gone
    (a save killed with SIGKILL leaves `.NAME.PID.*.tmp` behind); returns them."""
    removed = []
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True
