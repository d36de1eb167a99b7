"""`fkdrift.reevaluate`: an independent variational energy from a result's drift and samples."""

from __future__ import annotations

import fkdrift


def test_reevaluate_a_saved_harmonic_result(tmp_path):
    config = fkdrift.Config(train_steps=200, eval_walkers=512, eval_time=5.0,
                            estimator="variational")
    result = fkdrift.solve("harmonic", seed=0, config=config)
    result.save(tmp_path / "h.h5")
    loaded = fkdrift.load(tmp_path / "h.h5")
    again = fkdrift.reevaluate(loaded, seed=3)
    first = result.estimates["variational"]
    diff = again["extrapolated"] - first["extrapolated"]
    assert abs(diff) < 4 * (again["extrapolated_error"] + first["extrapolated_error"])
    assert again["extrapolated"] - 0.5 > -3 * again["extrapolated_error"]  # an upper bound
    assert abs(again["extrapolated"] - 0.5) < 2e-3
