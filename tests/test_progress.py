"""Progress receivers (`fkdrift._progress`): plain lines, the JSON-lines training log,
and `solve(progress=True)`."""

from __future__ import annotations

import io
import json

import fkdrift
from fkdrift._progress import Fanout, LineProgress, TrainingLog

VALUES = {"loss": 1.25, "energy": 1.5, "learning_rate": 1e-3, "step": 1.0}


def test_line_progress_limits_the_rate_but_keeps_first_and_last():
    stream = io.StringIO()
    p = LineProgress(stream, every=3600.0)
    for step in range(1, 101):
        p.training(step, 100, {**VALUES, "step": float(step)})
    for t in (0.4, 0.8, 1.2):
        p.evaluating(t, 1.2, 0.01)
    lines = stream.getvalue().splitlines()
    assert [line.split()[1] for line in lines[:2]] == ["1/100", "100/100"]
    assert "lr=1.00e-03" in lines[0] and "updates/s" in lines[0]
    assert lines[2:] == ["variational 0.4/1.2 time units ±1.00e-02",
                         "variational 1.2/1.2 time units ±1.00e-02"]


def test_training_log_writes_a_readable_line_per_update(tmp_path):
    log = TrainingLog(tmp_path / "run.train.jsonl")
    for step in (1, 2):
        log.training(step, 2, {**VALUES, "step": float(step), "grad_norm": float("nan")})
        rows = (tmp_path / "run.train.jsonl").read_text().splitlines()
        assert len(rows) == step  # flushed as it goes
    log.close()
    assert json.loads(rows[-1]) == {**VALUES, "step": 2.0, "grad_norm": None}


def test_fanout_reaches_every_receiver():
    a, b = io.StringIO(), io.StringIO()
    Fanout(LineProgress(a), LineProgress(b)).reweighting(1.0, 2.0, float("nan"))
    assert a.getvalue() == b.getvalue() == "reweighted 1.0/2.0 time units\n"


def test_solve_with_progress_true_prints_lines(capsys):
    config = fkdrift.Config(train_steps=5, batch=32, window=5, eval_walkers=64, eval_time=0.8,
                            burn_in_time=0.4, reweighted_time=0.8, width=8)
    fkdrift.solve("harmonic", seed=0, config=config, progress=True)
    err = capsys.readouterr().err
    assert "training 5/5" in err and "variational" in err and "reweighted" in err
