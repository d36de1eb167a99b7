"""Two processes on 127.0.0.1 with `fkdrift solve --distributed` against one process
(fkdrift/_distributed.py): one result, a time budget kept by the agreed clock, and an
interrupted run that resumes to the same numbers."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time

import numpy as np
import pytest
from conftest import FKDRIFT

import fkdrift
from fkdrift._distributed import agree, agreed_now, defer_interrupts

SETTINGS = {"train_steps": 40, "batch": 128, "eval_walkers": 256, "eval_time": 2.0,
            "reweighted_time": 6.0}
SET_ARGS = [arg for key, value in SETTINGS.items() for arg in ("--set", f"{key}={value}")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_two(cwd, args: list[str]) -> list[subprocess.Popen]:
    """`fkdrift ARGS --distributed` as processes 0 and 1 of one run on 127.0.0.1."""
    port = free_port()
    return [subprocess.Popen(
        [*FKDRIFT, *args, "--distributed", "--coordinator", f"127.0.0.1:{port}",
         "--num-processes", "2", "--process-id", str(i)], cwd=cwd, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for i in (1, 0)][::-1]


def finish(procs: list[subprocess.Popen], codes=(0, 0)) -> list[tuple[str, str]]:
    """The (stdout, stderr) of each process, once both exited with `codes`."""
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, code, (_, err) in zip(procs, codes, outputs, strict=True):
        assert p.returncode == code, err[-2000:]
    return outputs


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """(folder, [(stdout, stderr) of process 0, of process 1]) of a 2-process harmonic run."""
    cwd = tmp_path_factory.mktemp("distributed")
    procs = start_two(cwd, ["solve", "--potential", "harmonic", "--out", "two.h5",
                            *SET_ARGS])
    return cwd, finish(procs)


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


@pytest.mark.slow
def test_a_time_budget_is_kept_by_every_process(tmp_path):
    """Both processes decide by process 0's clock: they stop training at the same update
    (else their collectives would hang) and the run ends within its budget."""
    procs = start_two(tmp_path, ["solve", "--potential", "harmonic", "--out", "budget.h5",
                                 "--time-budget", "60", "--json", "--set", "batch=128",
                                 "--set", "eval_walkers=256", "--set", "train_steps=1000000"])
    outputs = finish(procs)
    result = fkdrift.load(tmp_path / "budget.h5")
    assert result.info["process_count"] == 2
    assert result.info["train_stop_reason"] == "time_budget"
    assert result.info["wall_time"] < 60  # start to result, compilation included
    assert abs(result.energy - 0.5) < 3 * result.energy_error
    # the summary is the last line (gloo, the CPU collectives, may print a hello first)
    assert json.loads(outputs[0][0].splitlines()[-1])["energy"] == pytest.approx(result.energy)


@pytest.mark.slow
def test_an_interrupted_run_of_two_processes_resumes_to_the_same_numbers(two_processes,
                                                                          tmp_path):
    """SIGTERM to process 1 alone stops both at one agreed point with one checkpoint
    (written by process 0); `fkdrift resume --distributed` on two processes then ends
    with the numbers of the run never stopped."""
    procs = start_two(tmp_path, ["solve", "--potential", "harmonic", "--out", "two.h5",
                                 *SET_ARGS, "--checkpoint-every", "1"])
    log = tmp_path / "two.train.jsonl"
    deadline = time.monotonic() + 300
    while not (log.is_file() and log.read_text().count("\n") >= 5):
        assert time.monotonic() < deadline and procs[0].poll() is None, "no training"
        time.sleep(0.05)
    procs[1].send_signal(signal.SIGTERM)
    outputs = finish(procs, codes=(143, 143))  # 128 + SIGTERM on both
    assert "fkdrift resume" in outputs[0][1] and "resume" not in outputs[1][1]
    assert (tmp_path / "two.ckpt").is_file() and not (tmp_path / "two.h5").exists()
    finish(start_two(tmp_path, ["resume", "two.h5"]))
    resumed = fkdrift.load(tmp_path / "two.h5")
    straight = fkdrift.load(two_processes[0] / "two.h5")
    assert "resumed_from" in resumed.info
    assert resumed.energy == pytest.approx(straight.energy, rel=1e-10)
    assert resumed.energy_error == pytest.approx(straight.energy_error, rel=1e-10)
    assert not (tmp_path / "two.ckpt").exists()


@pytest.mark.parametrize("args, message", [
    (["--coordinator", "127.0.0.1:1"], "need --distributed"),
    (["--distributed", "--coordinator", "nohost", "--num-processes", "2", "--process-id", "0"],
     "HOST:PORT"),
    (["--distributed", "--coordinator", "127.0.0.1:1", "--num-processes", "2",
      "--process-id", "2"], "0..1"),
    (["--distributed", "--coordinator", "127.0.0.1:1", "--num-processes", "2",
      "--process-id", "1", "--distributed-timeout", "0"], "--distributed-timeout"),
], ids=["without-distributed", "bad-address", "bad-process-id", "zero-timeout"])
def test_bad_launch_options_are_one_line_errors(tmp_path, args, message):
    proc = subprocess.run([*FKDRIFT, "solve", "--potential", "harmonic", "--out", "x.h5",
                           *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1 and message in lines[0], proc.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("process_id, message", [
    ("1", "no coordinator answers at 127.0.0.1:{port} after 3 s"),
    ("0", "coordinator 127.0.0.1:{port} and the other processes did not all answer "
          "within 3 s"),
], ids=["process-1-nothing-listening", "process-0-nobody-joins"])
def test_distributed_timeout_is_a_one_line_error(tmp_path, process_id, message):
    """--distributed-timeout 3 against a free port: one line naming the coordinator and
    the timeout within seconds (JAX alone would wait 300 s, then abort with a C++ stack
    trace)."""
    port = free_port()
    start = time.monotonic()
    proc = subprocess.run(
        [*FKDRIFT, "solve", "--potential", "harmonic", "--out", "x.h5", "--distributed",
         "--coordinator", f"127.0.0.1:{port}", "--num-processes", "2", "--process-id",
         process_id, "--distributed-timeout", "3"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - start
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr[-3000:]
    assert lines[0].startswith("error: ") and message.format(port=port) in lines[0]
    assert 3 < elapsed < 30
    assert not any(tmp_path.iterdir())


def test_one_process_keeps_its_own_clock_and_signals():
    """Without other processes the agreed clock is this process's perf_counter and
    interrupts are not deferred (Ctrl-C stops at once, as in any program)."""
    before = time.perf_counter()
    assert before <= agree() <= agreed_now() <= time.perf_counter()
    handler = signal.getsignal(signal.SIGTERM)
    with defer_interrupts():
        assert signal.getsignal(signal.SIGTERM) is handler


@pytest.mark.parametrize("cost, per_point, expected", [
    (0.0015, 2**-7, 10),  # 1.5 ms to agree, 7.8 ms updates: every 10th (1.9%)
    (0.002, 2**-2, 1),  # slow updates: every update
    (0.02, 2**-11, 1024),  # a slow agreement, fast chunks: capped by half a second
    (0.0, 2**-7, 1),
], ids=["helium-like", "slow-updates", "spacing-cap", "free-agreement"])
def test_agreements_cost_two_percent_and_come_every_half_second(monkeypatch, cost, per_point,
                                                                  expected):
    """k, the points between agreements, from the measured cost of the last agreement and
    the time per point since: cost/k ≤ 2% of the time between agreements, and k points
    last at most half a second."""
    import fkdrift._distributed as distributed

    since = 8
    monkeypatch.setitem(distributed._CLOCK, "since", since)
    monkeypatch.setitem(distributed._CLOCK, "cost", cost)
    monkeypatch.setitem(distributed._CLOCK, "at", 1.0)
    every = distributed._next_every(1.0 + since * per_point)
    assert every == expected
    assert every * per_point <= distributed.AGREEMENT_SPACING * (1 + 1e-9) or every == 1
