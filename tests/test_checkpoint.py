"""Checkpoints and resume (`fkdrift.checkpoint`, `fkdrift.resume`, `fkdrift resume`): an
interrupted run, continued, ends with the same numbers as one never stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import numpy as np
import pytest
from conftest import FKDRIFT

import fkdrift
from fkdrift.checkpoint import read_checkpoint

FAST = fkdrift.Config(train_steps=40, batch=64, window=10, width=8, eval_walkers=128,
                      eval_time=4.0, burn_in_time=0.8, reweighted_time=8.0)


class InterruptAt:
    """A progress receiver that presses Ctrl-C at one training update or evaluation."""

    def __init__(self, update: int | None = None, evaluation: bool = False) -> None:
        self.update, self.evaluation = update, evaluation

    def training(self, step, total, values):
        if step == self.update:
            raise KeyboardInterrupt

    def evaluating(self, measured, planned, error):
        if self.evaluation:
            raise KeyboardInterrupt

    def reweighting(self, measured, planned, error):
        pass


@pytest.fixture(scope="module")
def uninterrupted() -> fkdrift.Result:
    return fkdrift.solve("harmonic", seed=3, config=FAST)


@pytest.mark.parametrize("where", ["training", "evaluation"])
def test_resumed_run_ends_with_the_same_numbers(uninterrupted, tmp_path, where):
    ckpt = tmp_path / "run.ckpt"
    stop = InterruptAt(update=17) if where == "training" else InterruptAt(evaluation=True)
    with pytest.raises(KeyboardInterrupt):
        fkdrift.solve("harmonic", seed=3, config=FAST, progress=stop, checkpoint=ckpt,
                      checkpoint_every=1e9)  # only the interrupt (and training's end) write
    saved = read_checkpoint(ckpt)
    assert saved.meta["phase"] == ("training" if where == "training" else "trained")
    assert saved.meta["updates"] == (17 if where == "training" else 40)
    again = fkdrift.resume(ckpt)
    assert again.energy == uninterrupted.energy
    assert again.energy_error == uninterrupted.energy_error
    np.testing.assert_array_equal(again.history["loss"], uninterrupted.history["loss"])
    assert again.info["updates"] == 40 and again.info["resumed_from"] == saved.meta["phase"]


def test_resume_without_a_checkpoint_is_a_one_line_error(tmp_path):
    with pytest.raises(fkdrift.FkdriftError, match="no checkpoint"):
        fkdrift.resume(tmp_path / "none.ckpt")


SET = [a for k, v in dict(train_steps=2000, batch=64, window=10, width=8, eval_walkers=128,
                            eval_time=4.0, burn_in_time=0.8, reweighted_time=8.0).items()
       for a in ("--set", f"{k}={v}")]


def cli(*args, cwd, **kwargs):
    return subprocess.Popen([*FKDRIFT, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def wait_for_lines(path, n, proc, timeout=240):
    start = time.time()
    while time.time() - start < timeout and proc.poll() is None:
        if path.is_file() and len(path.read_text().splitlines()) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {n} lines")


def test_sigkill_during_training_then_resume_matches_an_uninterrupted_run(tmp_path):
    reference = cli("solve", "--potential", "harmonic", "--seed", "5", "--out", "ref.h5",
                    *SET, cwd=tmp_path)
    assert reference.wait(300) == 0, reference.stderr.read()
    run = cli("solve", "--potential", "harmonic", "--seed", "5", "--out", "run.h5",
              "--checkpoint-every", "0.2", *SET, cwd=tmp_path)
    wait_for_lines(tmp_path / "run.train.jsonl", 100, run)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert (tmp_path / "run.ckpt").is_file() and not (tmp_path / "run.h5").exists()
    done = read_checkpoint(tmp_path / "run.ckpt").meta["updates"]
    assert 0 < done < 2000
    resumed = cli("resume", "run.h5", cwd=tmp_path)
    assert resumed.wait(300) == 0, resumed.stderr.read()
    a, b = fkdrift.load(tmp_path / "run.h5"), fkdrift.load(tmp_path / "ref.h5")
    assert a.energy == b.energy and a.energy_error == b.energy_error
    log = (tmp_path / "run.train.jsonl").read_text().splitlines()
    assert len(log) == 2000  # the updates after the checkpoint are logged once
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ref.h5", "ref.train.jsonl", "run.h5", "run.train.jsonl"]  # no checkpoint, no temp


def test_ctrl_c_keeps_a_checkpoint_and_says_how_to_resume(tmp_path):
    run = cli("solve", "--potential", "harmonic", "--out", "run.h5", *SET, cwd=tmp_path)
    wait_for_lines(tmp_path / "run.train.jsonl", 20, run)
    run.send_signal(signal.SIGINT)
    assert run.wait(120) == 130
    err = run.stderr.read()
    assert "continue with: fkdrift resume run.h5" in err and "Traceback" not in err
    assert read_checkpoint(tmp_path / "run.ckpt").meta["updates"] >= 20
