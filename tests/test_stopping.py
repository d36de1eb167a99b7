"""The --target-error stopping rule (Config.target_error, max_eval_time, time_budget)."""

from __future__ import annotations

import pytest

import fkdrift

FAST = dict(train_steps=30, batch=64, window=10, eval_walkers=256, burn_in_time=0.5)


@pytest.fixture(scope="module")
def reached() -> fkdrift.Result:
    config = fkdrift.Config(**FAST, target_error=0.02, max_eval_time=50.0)
    return fkdrift.solve("harmonic", seed=0, config=config)


def test_stops_when_the_error_bar_is_below_target(reached):
    var, rw = reached.estimates["variational"], reached.estimates["reweighted"]
    assert var.stop_reason == "target_error" and var.extrapolated_error < 0.02
    assert rw.stop_reason == "target_error" and reached.energy_error < 0.02
    assert reached.info["stop_reason"] == "target_error"
    assert var.measured_time < 50.0  # it did stop early


def test_says_when_the_budget_ran_out_instead():
    """A budget spent before the reweighted stage skips it: the result is the variational
    upper bound, with a warning that says so."""
    config = fkdrift.Config(**FAST, target_error=1e-9, max_eval_time=3.0, time_budget=1e-3)
    result = fkdrift.solve("harmonic", seed=0, config=config)
    assert result.estimates["variational"].stop_reason == "time_budget"
    assert "reweighted" not in result.estimates and result.estimator.startswith("variational")
    assert any("time budget" in w for w in result.info["warnings"])
    assert result.energy_error > 1e-9
    assert result.energy - 0.5 > -3 * result.energy_error  # an upper bound, within its bar


def test_cli_target_error_option(tmp_path):
    from fkdrift._cli import main

    out = tmp_path / "h.h5"
    args = ["solve", "--potential", "harmonic", "--out", str(out), "--target-error", "0.05"]
    for key, value in FAST.items():
        args += ["--set", f"{key}={value}"]
    main(args)  # returns normally on success (errors exit non-zero)
    assert fkdrift.load(out).config.target_error == 0.05
