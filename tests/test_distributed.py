"""Two processes on 127.0.0.1 with `fkdrift solve --distributed` against one process
(fkdrift/_distributed.py)."""

from __future__ import annotations

import socket
import subprocess

import numpy as np
import pytest
from conftest import FKDRIFT

import fkdrift

SETTINGS = {"train_steps": 40, "batch": 128, "eval_walkers": 256, "eval_time": 2.0,
            "reweighted_time": 6.0}
SET_ARGS = [arg for key, value in SETTINGS.items() for arg in ("--set", f"{key}={value}")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """(folder, [(stdout, stderr) of process 0, of process 1]) of a 2-process harmonic run."""
    cwd = tmp_path_factory.mktemp("distributed")
    port = free_port()
    procs = [subprocess.Popen(
        [*FKDRIFT, "solve", "--potential", "harmonic", "--out", "two.h5", *SET_ARGS,
         "--distributed", "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2",
         "--process-id", str(i)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True) for i in (1, 0)][::-1]
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-2000:]
    return cwd, outputs


@pytest.mark.slow  # half a minute each: CI runs them with the slow set
def test_only_process_zero_writes_and_prints(two_processes):
    cwd, outputs = two_processes
    assert sorted(p.name for p in cwd.iterdir()) == ["two.h5", "two.train.jsonl"]
    assert "E0 =" in outputs[0][0] and "reweighted 0.1/" in outputs[0][1]
    # process 1: no summary, no progress (the collectives library may still say hello)
    assert "E0" not in outputs[1][0] and "reweighted" not in outputs[1][1]


@pytest.mark.slow
def test_two_processes_agree_with_one(two_processes):
    cwd, _ = two_processes
    two = fkdrift.load(cwd / "two.h5")
    assert two.info["process_count"] == 2 and two.info["device_count"] == 2
    one = fkdrift.solve("harmonic", seed=0, config=fkdrift.Config(**SETTINGS))
    assert one.info["process_count"] == 1
    assert abs(two.energy - one.energy) < 2 * np.hypot(two.energy_error, one.energy_error)
    assert abs(two.energy - 0.5) < 3 * two.energy_error


@pytest.mark.parametrize("args, message", [
    (["--coordinator", "127.0.0.1:1"], "need --distributed"),
    (["--distributed", "--coordinator", "nohost", "--num-processes", "2", "--process-id", "0"],
     "HOST:PORT"),
    (["--distributed", "--coordinator", "127.0.0.1:1", "--num-processes", "2",
      "--process-id", "2"], "0..1"),
], ids=["without-distributed", "bad-address", "bad-process-id"])
def test_bad_launch_options_are_one_line_errors(tmp_path, args, message):
    proc = subprocess.run([*FKDRIFT, "solve", "--potential", "harmonic", "--out", "x.h5",
                           *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1 and message in lines[0], proc.stderr
    assert not any(tmp_path.iterdir())
