"""Checkpoints of a run in progress, and what `resume` needs to continue it.

A checkpoint (`OUT.ckpt`, an .npz file written atomically) holds the training state
(parameters, optimizer state, walkers, PRNG key, update counter) as the leaves of the
`TrainState` pytree, the training history so far, and a JSON record of the run (seed,
Config, System description, phase, seconds trained). It is written every `every`
seconds during training, when training ends (phase "trained"), and on Ctrl-C or
SIGTERM. The evaluation is a deterministic function of the trained state, the seed and
the Config, so a run interrupted during evaluation resumes from the "trained"
checkpoint and ends with the same numbers; a run interrupted during training continues
from its last checkpoint, update for update, as if never stopped (for runs without a
time budget, whose decisions depend on the clock).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

from .errors import FkdriftError
from .files import remove_stale_temporaries

FORMAT = "fkdrift-checkpoint"


def checkpoint_path(out: str | os.PathLike) -> Path:
    """Where the checkpoint of a run writing `out` lives: `out` with suffix .ckpt."""
    return Path(out).with_suffix(".ckpt")


@dataclass
class Checkpoint:
    """A loaded checkpoint: leaves: the TrainState leaves; history: rows so far;
    meta: seed, config, system, phase ("training" or "trained"), train_time, updates."""

    leaves: list[np.ndarray]
    history: dict[str, list[float]]
    meta: dict[str, Any]

    def state(self, template):
        """The TrainState with these leaves, structured like `template`."""
        treedef = jax.tree_util.tree_structure(template)
        if treedef.num_leaves != len(self.leaves):
            raise FkdriftError("checkpoint does not match this run's training state "
                               f"({len(self.leaves)} arrays, expected {treedef.num_leaves})")
        return jax.tree_util.tree_unflatten(treedef, [jax.numpy.asarray(x)
                                                      for x in self.leaves])


def write_checkpoint(path: Path, state, history: dict[str, list[float]],
                     meta: dict[str, Any]) -> None:
    """Write atomically (temporary file in the same folder, then rename)."""
    arrays = {f"leaf_{i:04d}": np.asarray(x)
              for i, x in enumerate(jax.tree_util.tree_leaves(state))}
    arrays.update({f"history_{k}": np.asarray(v, float) for k, v in history.items()})
    arrays["meta"] = np.asarray(json.dumps({"format": FORMAT, **meta}))
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                               dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Load a checkpoint written by `write_checkpoint` (one-line errors)."""
    path = Path(path)
    if not path.is_file():
        raise FkdriftError(f"no checkpoint at {path}: nothing to resume")
    try:
        with np.load(path) as f:
            meta = json.loads(str(f["meta"]))
            leaves = [f[k] for k in sorted(k for k in f.files if k.startswith("leaf_"))]
            history = {k.removeprefix("history_"): list(map(float, f[k]))
                       for k in f.files if k.startswith("history_")}
    except (OSError, KeyError, ValueError) as exc:
        raise FkdriftError(f"cannot read checkpoint {path}: {exc}") from exc
    if meta.get("format") != FORMAT:
        raise FkdriftError(f"{path} is not a fkdrift checkpoint")
    return Checkpoint(leaves, history, meta)


class Checkpointer:
    """Keeps the latest training state and writes it every `every` seconds, at the end of
    training, and when asked (on an interrupt). meta: the run record (seed, config,
    system); `train_time` already spent before this process (resumed runs)."""

    def __init__(self, path: Path, every: float, meta: dict[str, Any],
                 train_time: float = 0.0) -> None:
        self.path, self.every, self.meta = path, every, meta
        self.before = train_time
        self.started = time.perf_counter()
        self.last = self.started
        self.latest: tuple[Any, dict[str, list[float]], int] | None = None

    def update(self, state, history: dict[str, list[float]]) -> None:
        """After each update: remember the state and how many history rows belong to it
        (the rows go on growing); write when `every` seconds passed."""
        self.latest = (state, history, len(history.get("step", ())))
        if time.perf_counter() - self.last >= self.every:
            self.write("training")

    def write(self, phase: str, train_time: float | None = None) -> None:
        if self.latest is None:
            return
        state, rows, n = self.latest
        history = {k: v[:n] for k, v in rows.items()}
        spent = self.before + time.perf_counter() - self.started
        write_checkpoint(self.path, state, history, {
            **self.meta, "phase": phase, "updates": len(history.get("step", ())),
            "train_time": spent if train_time is None else train_time})
        self.last = time.perf_counter()
