"""Checkpoints and resume (`fkdrift._checkpoint`, `fkdrift.resume`, `fkdrift resume`): an
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
from fkdrift._checkpoint import read_checkpoint

FAST = fkdrift.Config(train_steps=40, batch=64, window=10, width=8, eval_walkers=128,
                      eval_time=4.0, burn_in_time=0.8, reweighted_time=8.0)


class InterruptAt:
    """A progress receiver that presses Ctrl-C at one training update or at the n-th
    report of an evaluation stage; it records the reports it receives."""

    def __init__(self, update: int | None = None, stage: str | None = None,
                 at: int = 3) -> None:
        self.update, self.stage, self.at = update, stage, at
        self.seen: dict[str, list[float]] = {"variational": [], "reweighting": []}

    def training(self, step, total, values):
        if step == self.update:
            raise KeyboardInterrupt

    def _report(self, stage, measured):
        self.seen[stage].append(measured)
        if stage == self.stage and len(self.seen[stage]) == self.at:
            raise KeyboardInterrupt

    def evaluating(self, measured, planned, error):
        self._report("variational", measured)

    def reweighting(self, measured, planned, error):
        self._report("reweighting", measured)


@pytest.fixture(scope="module")
def uninterrupted() -> fkdrift.Result:
    return fkdrift.solve("harmonic", seed=3, config=FAST)


@pytest.mark.parametrize("where", ["training", "variational", "reweighting"])
def test_resumed_run_ends_with_the_same_numbers(uninterrupted, tmp_path, where):
    """Interrupted in training, or in either evaluation stage after its third chunk, the
    run continues from where it was (an evaluation stage does not start again) and ends
    bit-identical to the uninterrupted run."""
    ckpt = tmp_path / "run.ckpt"
    stop = InterruptAt(update=17) if where == "training" else InterruptAt(stage=where)
    with pytest.raises(KeyboardInterrupt):
        fkdrift.solve("harmonic", seed=3, config=FAST, progress=stop, checkpoint=ckpt,
                      checkpoint_every=1e9)  # only the interrupt (and training's end) write
    saved = read_checkpoint(ckpt)
    assert saved.meta["phase"] == where
    assert saved.meta["updates"] == (17 if where == "training" else 40)
    watch = InterruptAt()
    again = fkdrift.resume(ckpt, progress=watch)
    assert again.energy == uninterrupted.energy
    assert again.energy_error == uninterrupted.energy_error
    for key in ("energies", "errors", "extrapolated"):
        np.testing.assert_array_equal(getattr(again.estimates["variational"], key),
                                      getattr(uninterrupted.estimates["variational"], key))
    np.testing.assert_array_equal(again.samples, uninterrupted.samples)
    np.testing.assert_array_equal(again.history["loss"], uninterrupted.history["loss"])
    assert again.info["updates"] == 40 and again.info["resumed_from"] == where
    if where != "training":  # the stage went on from its fourth report
        first = watch.seen[where][0]
        assert first == pytest.approx(stop.seen[where][2] + (stop.seen[where][1]
                                                             - stop.seen[where][0]))
    if where == "reweighting":  # the variational stage was not run again
        assert watch.seen["variational"] == []


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


def wait_for_phase(ckpt, phase, proc, timeout=240):
    start = time.time()
    while time.time() - start < timeout and proc.poll() is None:
        if ckpt.is_file() and read_checkpoint(ckpt).meta["phase"] == phase:
            return
        time.sleep(0.02)
    raise AssertionError(f"{ckpt} never reached phase {phase}")


@pytest.mark.slow  # long: CI runs it with the slow set
def test_sigkill_in_training_and_in_evaluation_then_resume_matches_an_uninterrupted_run(
        tmp_path):
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
    # resumed, then killed again while the reweighted population runs
    resumed = cli("resume", "run.h5", "--checkpoint-every", "0.05", cwd=tmp_path)
    wait_for_phase(tmp_path / "run.ckpt", "reweighting", resumed)
    os.kill(resumed.pid, signal.SIGKILL)
    resumed.wait()
    saved = read_checkpoint(tmp_path / "run.ckpt")
    assert saved.meta["updates"] == 2000 and "variational.sums" in saved.stages
    assert not (tmp_path / "run.h5").exists()
    resumed = cli("resume", "run.h5", cwd=tmp_path)
    assert resumed.wait(300) == 0, resumed.stderr.read()
    a, b = fkdrift.load(tmp_path / "run.h5"), fkdrift.load(tmp_path / "ref.h5")
    assert a.energy == b.energy and a.energy_error == b.energy_error
    assert a.info["resumed_from"] == "reweighting"
    log = (tmp_path / "run.train.jsonl").read_text().splitlines()
    assert len(log) == 2000  # the updates after the checkpoint are logged once
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ref.h5", "ref.train.jsonl", "run.h5", "run.train.jsonl"]  # no checkpoint, no temp


def test_ctrl_c_keeps_a_checkpoint_and_says_how_to_resume(tmp_path):
    # far more updates than can run before the signal, so the run cannot have finished
    # on its own whatever the load (a finished run would exit 0); started with SIGINT
    # ignored, as a shell starts background jobs (and as it inherited it in the full suite)
    run = cli("solve", "--potential", "harmonic", "--out", "run.h5", *SET,
              "--set", "train_steps=1000000", cwd=tmp_path,
              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        wait_for_lines(tmp_path / "run.train.jsonl", 20, run)
        assert run.poll() is None
        run.send_signal(signal.SIGINT)
        assert run.wait(120) == 130  # 128 + SIGINT
    finally:
        run.kill()
    err = run.stderr.read()
    assert "continue with: fkdrift resume run.h5" in err and "Traceback" not in err
    assert read_checkpoint(tmp_path / "run.ckpt").meta["updates"] >= 20


@pytest.mark.slow  # long: CI runs it with the slow set
def test_a_resumed_stage_interrupted_again_still_resumes_to_the_same_numbers(
        uninterrupted, tmp_path):
    """The checkpoint a resumed run writes keeps the finished variational stage beside
    the reweighting state, so a second interrupt loses nothing either."""
    ckpt = tmp_path / "run.ckpt"
    for attempt in range(2):
        with pytest.raises(KeyboardInterrupt):
            stop = InterruptAt(stage="reweighting")
            if attempt == 0:
                fkdrift.solve("harmonic", seed=3, config=FAST, progress=stop,
                              checkpoint=ckpt, checkpoint_every=1e9)
            else:
                fkdrift.resume(ckpt, progress=stop, checkpoint_every=1e9)
        saved = read_checkpoint(ckpt)
        assert saved.meta["phase"] == "reweighting"
        assert "variational.sums" in saved.stages and "reweighting.series" in saved.stages
    watch = InterruptAt()
    again = fkdrift.resume(ckpt, progress=watch)
    assert watch.seen["variational"] == []
    assert again.energy == uninterrupted.energy
    assert again.energy_error == uninterrupted.energy_error


POTENTIAL = "import jax.numpy as jnp\n\ndef V(r):\n    return 0.5 * jnp.sum(r ** 2)\n"


@pytest.fixture
def interrupted_file_run(tmp_path):
    """A run of a file:function potential (pot.py:V) interrupted in training with
    its checkpoint run.ckpt beside run.h5."""
    from fkdrift._cli import build_system

    (tmp_path / "pot.py").write_text(POTENTIAL)
    system = build_system(str(tmp_path / "pot.py:V"), 1, 1, {})
    with pytest.raises(KeyboardInterrupt):
        fkdrift.solve(system, seed=3, config=FAST, progress=InterruptAt(update=5),
                      checkpoint=tmp_path / "run.ckpt", checkpoint_every=1e9)
    return tmp_path


@pytest.mark.parametrize("change", ["moved", "edited"])
def test_a_failed_resume_keeps_the_checkpoint(interrupted_file_run, change):
    """A resume refused because the potential file moved or changed since the checkpoint
    is one line and a non-zero exit, and OUT.ckpt stays for when the file is back."""
    tmp = interrupted_file_run
    before = (tmp / "run.ckpt").read_bytes()
    if change == "moved":
        (tmp / "pot.py").rename(tmp / "elsewhere.py")
    else:
        (tmp / "pot.py").write_text(POTENTIAL.replace("0.5", "0.6"))
    run = subprocess.run([*FKDRIFT, "resume", "run.h5"], cwd=tmp, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode != 0
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: ")
    assert ("gone" if change == "moved" else "changed since the checkpoint") in run.stderr
    assert (tmp / "run.ckpt").read_bytes() == before and not (tmp / "run.h5").exists()


def test_a_resume_on_a_machine_with_too_little_memory_is_refused_first(
        interrupted_file_run, monkeypatch):
    """The memory check runs on resume too (the run may have moved to a smaller
    machine): one-line error before any work, the checkpoint as it was."""
    import fkdrift._memory

    tmp = interrupted_file_run
    before = (tmp / "run.ckpt").read_bytes()
    monkeypatch.setattr(fkdrift._memory, "available_memory", lambda: (1024.0, "available"))
    with pytest.raises(fkdrift.FkdriftError, match="more than the .* available"):
        fkdrift.resume(tmp / "run.ckpt")
    assert (tmp / "run.ckpt").read_bytes() == before


def test_resume_continues_once_the_potential_file_is_back(interrupted_file_run):
    tmp = interrupted_file_run
    (tmp / "pot.py").rename(tmp / "elsewhere.py")
    with pytest.raises(fkdrift.FkdriftError, match="gone"):
        fkdrift.resume(tmp / "run.ckpt")
    (tmp / "elsewhere.py").rename(tmp / "pot.py")
    again = fkdrift.resume(tmp / "run.ckpt")
    assert again.energy == pytest.approx(0.5, abs=5 * again.energy_error + 1e-3)


def test_a_second_solve_over_a_checkpoint_refuses_and_keeps_it(interrupted_file_run):
    tmp = interrupted_file_run
    before = (tmp / "run.ckpt").read_bytes()
    run = subprocess.run([*FKDRIFT, "solve", "--potential", "pot.py:V", "--out", "run.h5"],
                         cwd=tmp, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and run.stderr.count("\n") == 1
    assert "fkdrift resume run.h5" in run.stderr and "--force" in run.stderr
    assert (tmp / "run.ckpt").read_bytes() == before


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_before_the_first_checkpoint_says_so_and_leaves_nothing(
        tmp_path, signum, code, capsys):
    """Interrupted before anything was kept, the run says that nothing was kept (no resume
    hint), exits 128 + the signal, and removes what it created (log, folder)."""
    from fkdrift._cli import _run_with_progress
    from fkdrift._distributed import interrupting_signal

    def interrupted(progress):
        progress.training(1, 10, {"energy": 1.0, "loss": 1.0})  # the training log has been started
        interrupting_signal(signum)
        raise KeyboardInterrupt

    out = tmp_path / "new" / "deeper" / "run.h5"
    with pytest.raises(SystemExit) as exit_:
        _run_with_progress(out, interrupted, fresh=True)
    assert exit_.value.code == code
    err = capsys.readouterr().err
    assert "nothing kept" in err and "resume" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_failed_new_run_removes_what_it_created_and_a_failed_resume_nothing(tmp_path):
    from fkdrift._cli import _run_with_progress

    def fails(progress):
        progress.training(1, 10, {"energy": 1.0, "loss": 1.0})
        (tmp_path / "out" / "run.ckpt").write_bytes(b"state")
        raise fkdrift.FkdriftError("diverged")

    with pytest.raises(fkdrift.FkdriftError):
        _run_with_progress(tmp_path / "out" / "run.h5", fails, fresh=True)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "out").mkdir()
    with pytest.raises(fkdrift.FkdriftError):
        _run_with_progress(tmp_path / "out" / "run.h5", fails)
    assert (tmp_path / "out" / "run.ckpt").read_bytes() == b"state"
