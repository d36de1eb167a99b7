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
    SPREAD_RATE,
    check_confined,
    check_estimates,
    check_spread,
    check_walkers,
    fit_warnings,
    heavy_tail_warnings,
    rates_of_spread,
    reweighting_warnings,
    spread_rates,
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


def test_no_bound_state_from_the_cli_is_one_line_and_leaves_nothing(tmp_path):
    """V = 1 (a free particle) returned E0 = 1.07 ± 0.01 with exit 0 after 30 training
    updates; now one line, exit 2, and no results/ folder, log or checkpoint."""
    (tmp_path / "c.py").write_text("def V(r):\n    return 1.0 + 0.0 * r.sum()\n")
    settings = dict(train_steps=30, batch=64, window=10, eval_walkers=128, eval_time=1.0,
                    burn_in_time=0.5)
    run = subprocess.run([*FKDRIFT, "solve", "--potential", "c.py:V",
                          *(f"--set={k}={v}" for k, v in settings.items())],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines[-1].startswith("error: no bound state: the walkers spread without limit (")
    assert lines[-1].endswith("is V confining?") and "Traceback" not in run.stderr
    assert all(line.split()[0] == "training" for line in lines[:-1])  # progress lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.py"]


def _free_diffusion(n: int = 512, steps: int = 400, dt: float = 0.1, dim: int = 1,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Snapshots (steps + 1, n, 1, dim) of Brownian walkers from N(0, 1), and their times."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(np.sqrt(dt) * rng.normal(size=(steps + 1, n, 1, dim)), axis=0)
    x += rng.normal(size=(1, n, 1, dim)) - x[:1]
    return x, dt * np.arange(steps + 1)


def _ornstein_uhlenbeck(theta: float, n: int = 512, steps: int = 400, dt: float = 0.1,
                        dim: int = 1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Snapshots of dx = −θx dt + dB (exact steps) from N(0, 1): a confined process that
    relaxes to N(0, 1/(2θ)) at the rate 2θ."""
    rng = np.random.default_rng(seed)
    decay, spread = np.exp(-theta * dt), np.sqrt((1 - np.exp(-2 * theta * dt)) / (2 * theta))
    x = [rng.normal(size=(n, 1, dim))]
    for _ in range(steps):
        x.append(decay * x[-1] + spread * rng.normal(size=(n, 1, dim)))
    return np.asarray(x), dt * np.arange(steps + 1)


@pytest.mark.parametrize("dim", [1, 3])
def test_free_diffusion_spreads_without_limit_an_ou_process_does_not(dim):
    free, times = _free_diffusion(dim=dim)
    rates = rates_of_spread(free, times)
    assert min(rates) > 0.7 and max(rates) < 1.3
    with pytest.raises(fkdrift.FkdriftError, match="no bound state.*is V confining"):
        check_spread(rates, times[-1])
    for theta in (1.0, 0.1):  # a stiff well and a slowly relaxing, wide one (1/(2θ) = 5)
        ou, times = _ornstein_uhlenbeck(theta, dim=dim)
        rates = rates_of_spread(ou, times)
        assert min(rates) < SPREAD_RATE / 2
        check_spread(rates, times[-1])  # no error


def test_walkers_pushed_outward_escape():
    free, times = _free_diffusion()
    pushed = free * np.exp(0.05 * times)[:, None, None, None]  # an outward drift
    with pytest.raises(fkdrift.FkdriftError, match="escape to infinity"):
        check_spread(rates_of_spread(pushed, times), times[-1])


@pytest.mark.slow  # long: CI runs it with the slow set
def test_spread_probe_on_potentials():
    """V's own Feynman–Kac walkers: a constant (one particle in 1D, two in 3D) and a 3D
    well too shallow to bind spread like free particles in each of the probe's rounds; a
    harmonic well, walkers far narrower than its ground state, a trap 100 times wider
    than the walkers, a double well with barrier 16 and a Coulomb well do not."""
    rng = np.random.default_rng(0)
    one = rng.normal(size=(512, 1, 1))
    for potential, x in [(lambda r: 1.0 + 0.0 * r.sum(), one),
                         (lambda r: 1.0 + 0.0 * r.sum(), rng.normal(size=(256, 2, 3))),
                         (lambda r: -0.5 * jnp.exp(-jnp.sum(r**2)), rng.normal(size=(256, 1, 3)))]:
        rates, _, _ = spread_rates(potential, x)
        assert min(rates) > 0.7, rates
        with pytest.raises(fkdrift.FkdriftError, match="no bound state"):
            check_confined(potential, x)
    rates, _, _ = spread_rates(lambda r: 0.5 * jnp.sum(r**2), one / np.sqrt(2))
    assert max(np.abs(rates)) < 0.1, rates
    for potential, x in [(lambda r: 0.5 * jnp.sum(r**2), one / np.sqrt(2)),
                         (lambda r: 0.5 * jnp.sum(r**2), 0.01 * one),
                         (lambda r: 0.5e-4 * jnp.sum(r**2), one),
                         (lambda r: (r[0, 0] ** 2 - 4.0) ** 2, np.abs(one) * 0.2 + 2.0),
                         (lambda r: -1.0 / jnp.linalg.norm(r[0]), rng.normal(size=(256, 1, 3)))]:
        check_confined(potential, x)  # no error


def test_non_finite_walkers_are_an_error():
    with pytest.raises(fkdrift.FkdriftError, match="non-finite"):
        check_walkers("evaluation", np.zeros((4, 1, 1)), np.full((4, 1, 1), np.nan))
    with pytest.raises(fkdrift.FkdriftError, match="non-finite"):
        check_walkers("evaluation", np.zeros((4, 1, 1)), np.zeros((4, 1, 1)),
                      np.array([1.0, -np.inf]))
    check_walkers("evaluation", np.ones((4, 1, 1)), 1.1 * np.ones((4, 1, 1)))  # no error


def test_fit_warning_only_for_a_bad_fit_or_one_that_cannot_be_checked():
    assert fit_warnings("variational", 0.3, 1.1, 1) == []
    assert "not quadratic" in fit_warnings("variational", 1e-4, 15.0, 1)[0]
    (unchecked,) = fit_warnings("variational", float("nan"), 0.0, 0)
    assert "no degree of freedom" in unchecked and "eval_dts" in unchecked


@pytest.mark.parametrize("dts", [(0.02, 0.01, 0.005), (0.02, 0.01)], ids=["three", "two"])
def test_a_run_with_two_or_three_euler_steps_says_its_fit_is_unchecked(dts):
    """Two or three Euler time steps fill a quadratic (or linear) dt -> 0 fit exactly: no
    degree of freedom is left for its chi2, so the result says so in one warning."""
    config = fkdrift.Config(train_steps=20, eval_time=1.0, estimator="variational",
                            eval_dts=dts, batch=64, eval_walkers=128)
    result = fkdrift.solve("harmonic", seed=0, config=config)
    assert result.estimates["variational"].fit.dof == 0
    assert sum("no degree of freedom" in w for w in result.info["warnings"]) == 1


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
    """Two particles with an r⁻¹² core and the guide's core factor switched off
    (pair_core=None; with it the energy is right, tests/test_cores.py): walkers step
    across the core and the estimate came back as −2.6e28 with exit 0; now the run stops
    with one clear error."""
    def core(r):
        d = jnp.sqrt(jnp.sum((r[0] - r[1]) ** 2) + 1e-300)
        return 0.5 * jnp.sum(r**2) + (0.5 / d) ** 12

    system = fkdrift.System(potential=core, particles=2, dim=3, name="core", pair_core=None)
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
