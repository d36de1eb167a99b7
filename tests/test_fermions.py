"""Identical fermions: the spins of a System, the antisymmetric guide, fixed-node moves,
and fixed-node energies against exact answers (filled oscillator shells; the exact
two-fermion energy in a 1D trap from a finite-difference solution computed here)."""

import itertools
import subprocess

import h5py
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import FKDRIFT
from scipy.linalg import eigh_tridiagonal

import fkdrift
from fkdrift._config import NetworkConfig
from fkdrift._guide import make_guide
from fkdrift._local_energy import bind, local_energies
from fkdrift._metropolis import gradient_walkers, langevin_moves, limited_drift
from fkdrift.lowlevel import oscillator_energy
from potentials import trapped_fermions

TRAPS = {  # (dim, spins)
    "1d_3up": (1, (3, 0)),
    "2d_3up": (2, (3, 0)),
    "3d_2up1down": (3, (2, 1)),
    "2d_3up3down": (2, (3, 3)),
    "2d_4up": (2, (4, 0)),  # an open shell: the ground state is degenerate
}


def shell_energy(spins, dim: int) -> float:
    """Fill the lowest one-particle levels Σ n_a + dim/2 of each spin, enumerated."""
    levels = sorted(sum(q) + dim / 2 for q in itertools.product(range(6), repeat=dim))
    return sum(sum(levels[:n]) for n in spins)


def trap(dim: int, spins) -> fkdrift.System:
    return fkdrift.System(potential=lambda r: 0.5 * jnp.sum(r**2), particles=sum(spins),
                          dim=dim, statistics="fermions", spins=spins)


def guide_and_params(system, seed: int = 0, perturb: float = 0.0):
    """The fermion guide of `system` (float64 network) and its initial parameters,
    optionally every parameter moved by N(0, perturb) so that backflow and Jastrow act."""
    guide = make_guide(system, NetworkConfig(width=16, depth=2, network_dtype="float64"))
    params = guide.init(jax.random.PRNGKey(seed), system)
    if perturb:
        leaves, tree = jax.tree_util.tree_flatten(params)
        keys = jax.random.split(jax.random.PRNGKey(seed + 1), len(leaves))
        leaves = [x + perturb * jax.random.normal(k, x.shape, x.dtype)
                  for x, k in zip(leaves, keys, strict=True)]
        params = jax.tree_util.tree_unflatten(tree, leaves)
    return guide, params


def walkers(system, n: int = 16, seed: int = 0) -> jax.Array:
    return jnp.asarray(np.random.default_rng(seed).normal(size=(n, *system.shape)))


@pytest.mark.parametrize(("dim", "spins"), TRAPS.values(), ids=TRAPS.keys())
def test_oscillator_energy_fills_the_shells(dim, spins):
    assert oscillator_energy(spins, dim) == pytest.approx(shell_energy(spins, dim), abs=1e-12)


@pytest.mark.parametrize(("dim", "spins"), TRAPS.values(), ids=TRAPS.keys())
def test_the_starting_guide_is_the_exact_free_ground_state(dim, spins):
    """E_L of the untrained guide is the exact shell energy at every configuration: the
    determinants, their signs and the Laplacian through slogdet are all right."""
    system = trap(dim, spins)
    guide, params = guide_and_params(system)
    e_local = jax.jit(lambda p, r: local_energies(bind(guide.log_psi, p), system.potential,
                                                  r))(params, walkers(system))
    np.testing.assert_allclose(e_local, shell_energy(spins, dim), rtol=0, atol=1e-9)


@pytest.mark.parametrize(("dim", "spins"), TRAPS.values(), ids=TRAPS.keys())
def test_the_guide_is_antisymmetric_under_exchange_of_equal_spins(dim, spins):
    system = trap(dim, spins)
    guide, params = guide_and_params(system, perturb=0.3)
    bound = bind(guide.log_psi, params)
    psi = jax.jit(lambda x: bound(x))
    psi.sign = jax.jit(lambda x: bound.sign(x))
    r = walkers(system)
    up = spins[0]
    pairs = [(0, 1), (up - 2, up - 1)] if up >= 2 else []
    pairs += [(up, up + 1)] if spins[1] >= 2 else []
    assert pairs
    for i, j in pairs:
        order = np.arange(system.particles)
        order[[i, j]] = [j, i]
        np.testing.assert_allclose(psi(r[:, order]), psi(r), atol=1e-10)
        np.testing.assert_array_equal(psi.sign(r[:, order]), -psi.sign(r))
    if spins[1]:  # an up and a down particle are not identical: no symmetry expected
        order = np.arange(system.particles)
        order[[0, up]] = [up, 0]
        assert np.max(np.abs(psi(r[:, order]) - psi(r))) > 1e-3


def test_metropolis_moves_never_cross_a_node():
    """Large Langevin steps propose many node crossings: every one is rejected, so each
    walker keeps sign ψ; the same proposals without the sign test do cross."""
    system = trap(1, (3, 0))
    guide, params = guide_and_params(system, perturb=0.1)
    psi = bind(guide.log_psi, params)

    def no_sign(r):
        return psi(r)  # the same |ψ| without a sign: nothing stops a crossing

    @jax.jit
    def moves(r):
        start = gradient_walkers(psi, r)
        end, acceptance = langevin_moves(psi, start, jax.random.PRNGKey(3), dt=0.5,
                                         n_steps=20)
        crossed, _ = langevin_moves(no_sign, gradient_walkers(no_sign, r),
                                    jax.random.PRNGKey(3), dt=0.5, n_steps=20)
        return start.sign, end.sign, psi.sign(end.r), acceptance, psi.sign(crossed.r)

    start, end, recomputed, acceptance, crossed = moves(walkers(system, 256))
    np.testing.assert_array_equal(end, start)
    np.testing.assert_array_equal(recomputed, start)
    assert 0.05 < float(acceptance) < 0.95
    assert np.mean(crossed != start) > 0.05


def test_limited_drift_is_the_drift_far_from_nodes_and_bounded_near_them():
    dt = 0.04
    small = jnp.full((1, 2, 3), 0.01)
    np.testing.assert_allclose(limited_drift(small, dt), small, rtol=1e-5)
    huge = jnp.asarray([[[1e6, 0.0, 0.0]]])
    bounded = limited_drift(huge, dt)
    assert float(jnp.linalg.norm(bounded)) == pytest.approx(np.sqrt(2 / dt), rel=1e-3)
    assert float(bounded[0, 0, 0]) > 0  # it still points away from the node


def exact_two_fermions_1d(g: float, s: float = 0.5) -> float:
    """E0 of two spin-polarised fermions in the unit 1D trap with the Gaussian pair
    interaction g/(√π s) exp(−x12²/s²): centre of mass ½ plus the lowest odd state of the
    relative motion x = (x1 − x2)/√2 (Dirichlet at x = 0), by finite differences on two
    grids and Richardson's h² extrapolation."""
    def odd_ground(n: int, length: float = 10.0) -> float:
        h = length / n
        x = h * np.arange(1, n)
        v = 0.5 * x**2 + g / (np.sqrt(np.pi) * s) * np.exp(-2 * x**2 / s**2)
        off = np.full(len(x) - 1, -0.5 / h**2)
        return eigh_tridiagonal(1 / h**2 + v, off, select="i", select_range=(0, 0))[0][0]

    return 0.5 + (4 * odd_ground(8000) - odd_ground(4000)) / 3


def test_finite_difference_reference_is_exact_without_interaction():
    assert exact_two_fermions_1d(0.0) == pytest.approx(2.0, abs=1e-8)


QUICK = fkdrift.Config(train_steps=300, eval_time=10.0, reweighted_time=24.0)


@pytest.mark.slow  # about a minute: CI runs it with the slow set
def test_two_interacting_fermions_in_1d_agree_with_the_exact_energy():
    """In 1D the nodes of the ground state are the coincidences, which the guide has:
    the fixed-node energy is the exact one, and the learned Jastrow must find it."""
    exact = exact_two_fermions_1d(2.0)
    result = fkdrift.solve(trapped_fermions(particles=2, dim=1, g=2.0), seed=0, config=QUICK)
    assert result.energy_error < 2e-4
    assert abs(result.energy - exact) < 4 * result.energy_error
    assert result.estimator.startswith("fixed-node")
    assert "fixed-node" in result.summary()


@pytest.mark.slow  # about a minute: CI runs it with the slow set
def test_free_fermions_in_a_2d_trap_end_at_the_filled_shells(tmp_path):
    """The CLI with --spins; the file says fixed-node and rebuilds the system."""
    out = tmp_path / "f.h5"
    subprocess.run([*FKDRIFT, "solve", "--potential", "trapped_fermions", "--particles", "3",
                    "--spins", "3,0", "--dim", "2", "--set", "train_steps=50", "--set",
                    "batch=128", "--set", "eval_walkers=128", "--set", "eval_time=8",
                    "--set", "reweighted_time=16", "--out", str(out)],
                   check=True, capture_output=True, text=True)
    result = fkdrift.load(out)
    assert result.system.spins == (3, 0) and result.system.exact_energy == 5.0
    assert result.energy_error < 3e-4  # 128 walkers for 16 time units
    assert abs(result.energy - 5.0) < 4 * result.energy_error
    with h5py.File(out) as f:
        assert str(f.attrs["estimator"]).startswith("fixed-node")
    with pytest.raises(fkdrift.FkdriftError, match="reestimate"):
        fkdrift.reevaluate(result)  # its Euler chains would cross the nodes


BAD = {
    "spins_do_not_add_up": (dict(particles=3, spins=(2, 0), statistics="fermions"),
                            "adding up to particles=3"),
    "spins_without_fermions": (dict(particles=2, spins=(1, 1)), "needs statistics='fermions'"),
    "negative_spin": (dict(particles=1, spins=(2, -1), statistics="fermions"),
                      "non-negative"),
}


@pytest.mark.parametrize(("kwargs", "message"), BAD.values(), ids=BAD.keys())
def test_bad_spins_are_refused_in_one_line(kwargs, message):
    with pytest.raises(fkdrift.FkdriftError, match=message):
        fkdrift.System(potential=lambda r: jnp.sum(r**2), dim=1, **kwargs)


def test_a_potential_that_tells_equal_spins_apart_is_refused():
    system = fkdrift.System(potential=lambda r: jnp.sum(r**2) + r[0, 0], particles=2, dim=1,
                            statistics="fermions")
    with pytest.raises(fkdrift.FkdriftError, match="particles 0 and 1 trade places"):
        fkdrift.solve(system, config=QUICK)
    # spins 1 up, 1 down: the two are not identical, the same V is allowed
    fkdrift.System(potential=system.potential, particles=2, dim=1, statistics="fermions",
                   spins=(1, 1)).check_potential(walkers(system))


@pytest.mark.parametrize("setting", ["drift_form=free", "train_moves=euler",
                                     "reweighted_moves=euler"])
def test_moves_that_cross_nodes_are_refused_before_any_work(setting, tmp_path):
    out = tmp_path / "x.h5"
    run = subprocess.run([*FKDRIFT, "solve", "--potential", "trapped_fermions", "--set",
                          setting, "--out", str(out)], capture_output=True, text=True)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "nodes" in run.stderr
    assert not out.exists()


@pytest.mark.parametrize("spins", ["3", "a,b", "2,-1"])
def test_bad_spins_flag_is_one_line(spins, tmp_path):
    run = subprocess.run([*FKDRIFT, "solve", "--potential", "trapped_fermions", "--spins",
                          spins, "--out", str(tmp_path / "x.h5")], capture_output=True,
                         text=True)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr and "--spins" in run.stderr


def test_slater_exponents_follow_the_screening_rules():
    from fkdrift._determinant import atomic_orbitals, slater_exponents

    lithium = slater_exponents(atomic_orbitals(2), (2, 1), 3.0)
    beryllium = slater_exponents(atomic_orbitals(2), (2, 2), 4.0)
    np.testing.assert_allclose(lithium, [3 - 0.30, (3 - 2 * 0.85) / 2])
    np.testing.assert_allclose(beryllium, [4 - 0.30, (4 - 2 * 0.85 - 0.35) / 2])


COALESCENCES = {  # which two particles of lithium (2 up, 1 down) meet: Kato's cusps
    "up_up_quarter": (0, 1),
    "up_down_half": (0, 2),
    "electron_nucleus": (0, None),
}


@pytest.mark.parametrize("pair", COALESCENCES.values(), ids=COALESCENCES.keys())
def test_lithium_guide_has_kato_cusps(pair):
    """E_L stays finite as two electrons (of equal spin: ψ vanishes, cusp ¼; of opposite
    spin: ½) or an electron and the nucleus (−Z) meet: the 1/r of V is cancelled. With a
    wrong cusp E_L changes by about (wrong − right)/s·(charge product) over a distance s."""
    from potentials import lithium

    system = lithium()
    guide, params = guide_and_params(system, perturb=0.05)
    bound = bind(guide.log_psi, params)
    e_local = jax.jit(lambda r: local_energies(bound, system.potential, r))
    base = np.array([[0.7, -0.2, 0.4], [-0.5, 0.9, 0.1], [0.3, 0.6, -0.8]])
    i, j = pair
    target = np.zeros(3) if j is None else base[j]
    direction = np.array([0.6, 0.0, 0.8])
    values = []
    for s in (1e-3, 1e-4):
        r = base.copy()
        r[i] = target + s * direction
        values.append(float(e_local(jnp.asarray(r)[None])[0]))
    # a cusp wrong by 1/4 would move E_L by ~0.25 * (1e4 - 1e3) = 2250 between the two
    assert abs(values[1] - values[0]) < 5.0, values


def test_committed_lithium_row_is_within_a_millihartree_of_exact():
    """results/lithium.h5 (`fkdrift solve --potential lithium --set eval_time=10 --set
    reweighted_time=40`) against the exact non-relativistic energy of Puchalski and
    Pachucki (2006), −7.478060324 Ha: within 1 mHa and within its bar."""
    from pathlib import Path

    result = fkdrift.load(Path(__file__).resolve().parent.parent / "results" / "lithium.h5")
    exact = -7.478060324
    assert result.system.spins == (2, 1)
    assert result.estimator.startswith("fixed-node")
    assert abs(result.energy - exact) < 1e-3 and result.energy_error < 1e-3
    assert abs(result.energy - exact) < 3 * result.energy_error


def test_fermions_around_two_nuclei_are_refused_in_one_line():
    system = fkdrift.System(
        potential=lambda r: jnp.sum(r**2), particles=2, dim=3, statistics="fermions",
        nuclei=[[0.0, 0.0, -0.7], [0.0, 0.0, 0.7]], nuclear_charges=[1.0, 1.0])
    with pytest.raises(fkdrift.FkdriftError, match="one nucleus in 3D"):
        make_guide(system, NetworkConfig())
