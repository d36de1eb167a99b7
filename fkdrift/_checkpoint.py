"""Checkpoints of a run in progress, and what `resume` needs to continue it.

A checkpoint (`OUT.ckpt`, an .npz file written atomically) holds the training state
(parameters, optimizer state, walkers, PRNG key, update counter) as the leaves of the
`TrainState` pytree, the training history so far, the state of the evaluation stage in
progress (`evaluation.EvaluationState`, `reweighting.ReweightingState`: walkers and the
partial estimator sums, as `stage_*` arrays) and a JSON record of the run (seed, Config,
System description, phase, seconds trained). Phases: "training", "trained",
"variational" (the variational stage running or done), "reweighting". It is written
every `every` seconds, when training ends, and on Ctrl-C or SIGTERM. A resumed run
continues training update for update, or the evaluation stage chunk for chunk (the key
of each chunk is fixed by its index), and ends with the same numbers as if never
stopped (for runs without a time budget, whose decisions depend on the clock).

In a multi-process run every process keeps a Checkpointer and decides by the agreed
clock (`distributed.agreed_now`) when to write; the walkers split over the processes
are gathered whole, and process 0 alone writes the file (on a file system all processes
share, where they read it back on resume).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import jax
import numpy as np

from ._distributed import agreed_now, is_main_process
from ._errors import FkdriftError
from ._files import remove_stale_temporaries
from ._sharding import to_host

FORMAT = "fkdrift-checkpoint"


def checkpoint_path(out: str | os.PathLike) -> Path:
    """Where the checkpoint of a run writing `out` lives: `out` with suffix .ckpt."""
    return Path(out).with_suffix(".ckpt")


@dataclass
class Checkpoint:
    """A loaded checkpoint: leaves: the TrainState leaves; history: rows so far;
    meta: seed, config, system, phase, train_time, updates; stages: the arrays of the
    evaluation states (see `stage_state`)."""

    leaves: list[np.ndarray]
    history: dict[str, list[float]]
    meta: dict[str, Any]
    stages: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def stage_state(self, cls: type, name: str):
        """The `cls` (a NamedTuple of arrays and scalars) saved as stage `name`, or None."""
        return state_from_arrays(cls, name, self.stages)

    def state(self, template):
        """The TrainState with these leaves, structured like `template`."""
        treedef = jax.tree_util.tree_structure(template)
        if treedef.num_leaves != len(self.leaves):
            raise FkdriftError("checkpoint does not match this run's training state "
                               f"({len(self.leaves)} arrays, expected {treedef.num_leaves})")
        return jax.tree_util.tree_unflatten(treedef, [jax.numpy.asarray(x)
                                                      for x in self.leaves])


def state_arrays(name: str, state: NamedTuple) -> dict[str, Any]:
    """The fields of a NamedTuple state keyed NAME.FIELD (arrays as they are, scalars as
    0-d arrays); `write_checkpoint` brings them to the host."""
    return {f"{name}.{field}": value if isinstance(value, jax.Array) else np.asarray(value)
            for field, value in state._asdict().items()}


def state_from_arrays(cls: type, name: str, arrays: dict[str, np.ndarray]):
    """Inverse of `state_arrays` (0-d arrays back to Python scalars), or None if absent."""
    if f"{name}.{cls._fields[0]}" not in arrays:
        return None
    values = {f: arrays[f"{name}.{f}"] for f in cls._fields}
    return cls(**{f: v.item() if v.ndim == 0 else v for f, v in values.items()})


def write_checkpoint(path: Path, state, history: dict[str, list[float]],
                     meta: dict[str, Any], stages: dict[str, np.ndarray] | None = None
                     ) -> None:
    """Write atomically (temporary file in the same folder, then rename). Arrays split
    over several processes are gathered first (every process calls this; process 0
    writes)."""
    leaves, stages = to_host((jax.tree_util.tree_leaves(state), stages or {}))
    if not is_main_process():
        return
    arrays = {f"leaf_{i:04d}": np.asarray(x) for i, x in enumerate(leaves)}
    arrays.update({f"stage_{k}": np.asarray(v) for k, v in stages.items()})
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
    """Load a checkpoint written by `write_checkpoint`. One-line errors, the file left as
    it is, for a missing or unreadable file and for one that is no fkdrift checkpoint
    (truncated, text, a pickle, another program's .npz or .npy)."""
    path = Path(path)
    if not path.is_file():
        raise FkdriftError(f"no checkpoint at {path}: nothing to resume")
    try:
        arrays = _load_arrays(path)
        meta = json.loads(str(arrays.pop("meta")))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError(f"its record says format {_format_of(meta)!r}")
    except OSError as exc:
        raise FkdriftError(f"cannot read checkpoint {path}: {exc.strerror or exc}") from exc
    except (ValueError, KeyError, EOFError, TypeError, zipfile.BadZipFile) as exc:
        raise FkdriftError(f"cannot read checkpoint {path}: not a fkdrift checkpoint "
                           f"({_not_a_checkpoint(exc)})") from exc
    leaves = [arrays[k] for k in sorted(k for k in arrays if k.startswith("leaf_"))]
    history = {k.removeprefix("history_"): list(map(float, v))
               for k, v in arrays.items() if k.startswith("history_")}
    stages = {k.removeprefix("stage_"): v for k, v in arrays.items()
              if k.startswith("stage_")}
    return Checkpoint(leaves, history, meta, stages)


def _load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of the .npz archive at `path` (pickles refused: numpy raises
    ValueError)."""
    loaded = np.load(path)
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise TypeError("a single .npy array, not an .npz archive")
    with loaded as f:
        return {k: f[k] for k in f.files}


def _format_of(meta) -> object:
    """The format a checkpoint's record names (None if it names none)."""
    return meta.get("format") if isinstance(meta, dict) else None


def _not_a_checkpoint(exc: Exception) -> str:
    """Why a file is no checkpoint, in words (numpy's advice to load pickles left out)."""
    if isinstance(exc, zipfile.BadZipFile):
        return f"not an .npz archive, or a truncated one: {exc}"
    if isinstance(exc, EOFError):
        return "empty or truncated"
    if isinstance(exc, KeyError):
        return f"no {exc} array"
    if "Object arrays" in str(exc):
        return "an .npz archive of pickled object arrays"
    if "pickle" in str(exc):
        return "text or a pickle, not an .npz archive"
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


class Checkpointer:
    """Keeps the latest training state (and evaluation-stage state) and writes it every
    `every` seconds, at the end of training, and when asked (on an interrupt). meta: the
    run record (seed, config, system); `train_time` already spent before this process
    (resumed runs)."""

    def __init__(self, path: Path, every: float, meta: dict[str, Any],
                 train_time: float = 0.0) -> None:
        self.path, self.every, self.meta = path, every, meta
        self.before = train_time
        self.started = agreed_now()
        self.last = self.started
        self.latest: tuple[Any, dict[str, list[float]], int] | None = None
        self.phase = "training"
        self.trained_time: float | None = None
        self.stages: dict[str, NamedTuple] = {}

    def update(self, state, history: dict[str, list[float]]) -> None:
        """After each update: remember the state and how many history rows belong to it
        (the rows go on growing); write when `every` seconds passed."""
        self.latest = (state, history, len(history.get("step", ())))
        if agreed_now() - self.last >= self.every:
            self.write("training")

    def stage(self, phase: str, state: NamedTuple) -> None:
        """After each chunk of the evaluation stage `phase` ("variational" or
        "reweighting"): remember its state (kept as stage `phase`, turned into arrays only
        when written); write when `every` seconds passed."""
        self.phase = phase
        self.stages[phase] = state
        if agreed_now() - self.last >= self.every:
            self.write(phase)

    def write(self, phase: str | None = None, train_time: float | None = None) -> None:
        """Write the latest state as `phase` (default: the current one)."""
        if self.latest is None:
            return
        phase = phase or self.phase
        if train_time is not None:
            self.trained_time = train_time
        elif phase != "training":
            train_time = self.trained_time
        state, rows, n = self.latest
        history = {k: v[:n] for k, v in rows.items()}
        now = agreed_now()
        spent = self.before + now - self.started
        write_checkpoint(self.path, state, history, {
            **self.meta, "phase": phase, "updates": len(history.get("step", ())),
            "train_time": spent if train_time is None else train_time},
            {k: v for name, state in self.stages.items()
             for k, v in state_arrays(name, state).items()}
            if phase in ("variational", "reweighting") else None)
        self.last = now
