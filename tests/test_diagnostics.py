"""Health checks: fatal conditions end the run with one clear error before anything is
written; doubtful ones become warnings stored in the result and printed by the CLI."""

from __future__ import annotations

import subprocess

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import FKDRIFT

import fkdrift
from fkdrift._diagnostics import (
    check_estimates,
    check_walkers,
    fit_warnings,
    heavy_tail_warnings,
    reweighting_warnings,
)

FAST = fkdrift.Config(train_steps=100, batch=64, window=10, eval_walkers=128, eval_time=2.0,
                      burn_in_time=0.5, reweighted_time=5.0)


def test_unbounded_potential_is_an_error_not_an_energy(tmp_path):
    """V = −x² has no ground state: it used to return E0 = −47.9 with exit 0. A free
    drift (the default here) learns to push its walkers out within 100 updates; a
    gradient drift (whose log ψ stays normalisable) only lowers its confinement, and its
    walkers spread past the escape factor within 2000 updates (RMS radius ~1 -> ~40)."""
    system = fkdrift.System(potential=lambda r: -jnp.sum(r**2), name="unbounded")
    for config in (FAST.replace(reweighted_time=20.0),
                   FAST.replace(train_steps=2000, window=20, drift_form="gradient")):
        with pytest.raises(fkdrift.FkdriftError, match="escape to infinity|unbounded below"):
            fkdrift.solve(system, seed=0, config=config)


def test_unbounded_potential_from_the_cli_exits_with_one_line(tmp_path):
    source = tmp_path / "down.py"
    source.write_text("import jax.numpy as jnp\n\ndef V(r):\n    return -jnp.sum(r ** 2)\n")
    out = tmp_path / "down.h5"
    settings = dict(train_steps=100, batch=64, window=10, eval_walkers=128, eval_time=2.0,
                    burn_in_time=0.5, reweighted_time=20.0)
    run = subprocess.run([*FKDRIFT, "solve", "--potential", f"{source}:V", "--out", str(out),
                          *(f"--set={k}={v}" for k, v in settings.items())],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    assert "unbounded below" in run.stderr and "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("error:")] == lines[-1:]
    assert all(line.split()[0] in ("training", "variational", "reweighted")
               for line in lines[:-1])  # the rest are progress lines of a log
    assert not out.exists() and not out.with_suffix(".ckpt").exists()


def test_non_finite_walkers_are_an_error():
    with pytest.raises(fkdrift.FkdriftError, match="non-finite"):
        check_walkers("evaluation", np.zeros((4, 1, 1)), np.full((4, 1, 1), np.nan))
    with pytest.raises(fkdrift.FkdriftError, match="non-finite"):
        check_walkers("evaluation", np.zeros((4, 1, 1)), np.zeros((4, 1, 1)),
                      np.array([1.0, -np.inf]))
    check_walkers("evaluation", np.ones((4, 1, 1)), 1.1 * np.ones((4, 1, 1)))  # no error


def test_fit_warning_only_for_a_bad_fit():
    assert fit_warnings("variational", 0.3, 1.1, 1) == []
    assert fit_warnings("variational", float("nan"), float("nan"), 0) == []
    assert "not quadratic" in fit_warnings("variational", 1e-4, 15.0, 1)[0]


def test_heavy_tail_warning():
    rng = np.random.default_rng(0)
    x = rng.normal(size=512)
    assert heavy_tail_warnings("variational", x) == []
    x[3] = 40.0  # one replica with 3/4 of the variance
    assert "heavy tails" in heavy_tail_warnings("variational", x)[0]


def test_meaningless_estimates_are_an_error():
    rng = np.random.default_rng(1)
    x = rng.normal(size=256)
    check_estimates(x, np.array([0.3, 2.0]), walkers=256)  # 4.7 effective walkers: no error
    with pytest.raises(fkdrift.FkdriftError, match="log-weights spread"):
        check_estimates(x, np.array([0.3, 2.5]), walkers=256)  # 0.5 effective walkers
    with pytest.raises(fkdrift.FkdriftError, match="no stationary state"):
        check_estimates(x, np.array([0.3, 0.2]), drift_sigmas=-9.0)
    x[0] = 1e6
    with pytest.raises(fkdrift.FkdriftError, match="robust sigma"):
        check_estimates(x, None)


def test_singular_repulsive_core_is_an_error_not_an_energy():
    """Two particles with an r⁻¹² core: walkers step across it and the estimate came back
    as −2.6e28 with exit 0; now the run stops with one clear error."""
    def core(r):
        d = jnp.sqrt(jnp.sum((r[0] - r[1]) ** 2) + 1e-300)
        return 0.5 * jnp.sum(r**2) + (0.5 / d) ** 12

    system = fkdrift.System(potential=core, particles=2, dim=3, name="core")
    config = FAST.replace(train_steps=200, batch=128, eval_walkers=256)
    with pytest.raises(fkdrift.FkdriftError, match="robust sigma|log-weights|non-finite|escape"):
        fkdrift.solve(system, seed=0, config=config)


def test_reweighted_above_the_bound_and_poor_guide_are_flagged():
    ok = reweighting_warnings((1.0, 0.01), (0.99, 0.01), np.array([0.1]), np.array([1e-4]),
                              np.array([1e-2]))
    assert ok == []
    bad = reweighting_warnings((1.0, 0.01), (1.05, 0.01), np.array([2.0]), np.array([0.1]),
                               np.array([1e-2]))
    assert len(bad) == 3
    assert "above the variational" in bad[0] and "guides" in bad[1] and "population" in bad[2]


def test_warnings_are_stored_and_shown(tmp_path):
    """A result carries its warnings (HDF5 `info`), and its summary prints them."""
    result = fkdrift.solve("harmonic", seed=0, config=FAST)
    result.info["warnings"] = ["variational dt->0 fit: chi2 = 20.0 for 1 dof"]
    path = tmp_path / "h.h5"
    result.save(path)
    again = fkdrift.load(path)
    assert again.warnings == result.warnings
    assert "warning: variational dt->0 fit" in again.summary()
    shown = subprocess.run([*FKDRIFT, "show", str(path)], capture_output=True, text=True,
                           timeout=120)
    assert "warning: variational dt->0 fit" in shown.stdout
