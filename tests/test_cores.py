"""Hard repulsive cores: finding them in V, the guide's factor that vanishes at contact,
and the energy of two particles with an r⁻¹² core in a 3D trap against a radial
finite-difference solution computed here."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.linalg import eigh_tridiagonal

import fkdrift
from fkdrift._config import NetworkConfig
from fkdrift._core import core_terms, uniform_cores
from fkdrift._guide import make_guide
from fkdrift._local_energy import bind
from fkdrift._metropolis import energy_walkers, vanishes

SIGMA = 0.5


def pair_distances(r):
    """(P, P) distances of r: (P, dim), with ones on the diagonal."""
    diff = r[:, None, :] - r[None, :, :]
    return jnp.sqrt(jnp.sum(diff**2, -1) + jnp.eye(r.shape[0]))


def pair_sum(f):
    """V(r) = ½ Σ r² + Σ_{i<j} f(r_ij)."""
    def potential(r):
        off = 1.0 - jnp.eye(r.shape[0])
        return 0.5 * jnp.sum(r**2) + 0.5 * jnp.sum(off * f(pair_distances(r)))

    return potential


def core_pair(r):
    """The two-particle trap with the (σ/r)¹² core of the acceptance bar."""
    return 0.5 * jnp.sum(r**2) + (SIGMA / jnp.linalg.norm(r[0] - r[1])) ** 12


def relative_energy(core, h: float, half_width: float = 10.0, cap: float = 1e6) -> float:
    """Lowest s-wave eigenvalue of −u'' + (r²/4 + core(r)) u (relative motion of two unit
    masses in the unit trap: reduced mass ½), u(0) = u(L) = 0, central differences of
    spacing h. V is capped at `cap` (ψ ~ exp(−30) there) to keep the tridiagonal
    eigensolver's absolute precision (ε·‖H‖) at 1e-9."""
    r = np.arange(1, round(half_width / h)) * h
    diagonal = 2 / h**2 + np.minimum(r**2 / 4 + core(r), cap)
    return eigh_tridiagonal(diagonal, -np.ones(len(r) - 1) / h**2, select="i",
                            select_range=(0, 0))[0][0]


def two_particle_energy(core) -> float:
    """E0 of two unit masses in ½(r₁² + r₂²) + core(r₁₂): the centre of mass's 3/2 plus
    the relative s wave, Richardson-extrapolated over spacings 5e-4 and 2.5e-4."""
    coarse, fine = relative_energy(core, 5e-4), relative_energy(core, 2.5e-4)
    return 1.5 + fine + (fine - coarse) / 3


@pytest.fixture(scope="module")
def reference() -> float:
    return two_particle_energy(lambda r: (SIGMA / r) ** 12)


def test_radial_reference_is_the_oscillator_without_a_core():
    assert two_particle_energy(lambda r: 0 * r) == pytest.approx(3.0, abs=1e-8)


def test_radial_reference_of_the_core(reference):
    assert 3.2 < reference < 3.3
    assert reference == pytest.approx(two_particle_energy(lambda r: (SIGMA / r) ** 12 + 0 * r),
                                      abs=1e-8)


FOUND = {  # potential, particles, statistics, (C, n) of pair (0, 1) or None
    "r12_bosons": (core_pair, 2, "bosons", (SIGMA**12, 12.0)),
    "lennard_jones_3": (pair_sum(lambda d: 4 * (d**-12 - d**-6)), 3, "distinguishable",
                        (4.0, 12.0)),
    "r6_bosons": (pair_sum(lambda d: 0.3 * d**-6), 3, "bosons", (0.3, 6.0)),
    "coulomb_is_a_cusp": (pair_sum(lambda d: 1 / d), 2, "bosons", None),
    "inverse_square_is_not": (pair_sum(lambda d: 0.5 / d**2), 2, "bosons", None),
    "gaussian_is_not": (pair_sum(lambda d: 2 * jnp.exp(-(d**2))), 3, "bosons", None),
    "attractive_is_not": (pair_sum(lambda d: -0.1 * d**-6), 2, "distinguishable", None),
}


@pytest.mark.parametrize("case", FOUND.values(), ids=FOUND.keys())
def test_cores_are_found_in_the_potential(case):
    potential, particles, statistics, expected = case
    system = fkdrift.System(potential=potential, particles=particles, dim=3,
                            statistics=statistics)
    if expected is None:
        assert system.cores is None
        return
    C, n = expected
    off = 1 - np.eye(particles)
    np.testing.assert_allclose(system.cores.power, n * off, rtol=1e-6)
    np.testing.assert_allclose(system.cores.strength, C * off, rtol=1e-4)


def test_a_core_of_one_pair_of_distinguishable_particles_only():
    def potential(r):
        return 0.5 * jnp.sum(r**2) + 0.01 / jnp.linalg.norm(r[0] - r[2]) ** 8

    cores = fkdrift.System(potential=potential, particles=3, dim=2).cores
    assert cores.power[0, 2] == pytest.approx(8.0) and cores.power[2, 0] == pytest.approx(8.0)
    assert cores.strength[0, 2] == pytest.approx(0.01, rel=1e-4)
    assert cores.strength[0, 1] == cores.strength[1, 2] == 0.0


def test_one_particle_and_a_declared_none_have_no_core():
    assert fkdrift.System(potential=lambda r: 0.5 * jnp.sum(r**2)).cores is None
    assert fkdrift.System(potential=core_pair, particles=2, dim=3, pair_core=None).cores is None


def test_a_declared_core_is_used_as_given():
    cores = fkdrift.System(potential=core_pair, particles=2, dim=3,
                           pair_core=(1e-3, 10.0)).cores
    np.testing.assert_allclose(cores.strength, [[0, 1e-3], [1e-3, 0]])
    np.testing.assert_allclose(cores.power, [[0, 10], [10, 0]])


@pytest.mark.parametrize("bad", [(1.0, 2.0), (-1.0, 12.0), "yes", (np.ones((3, 3)), 12.0),
                                 ([[0, 1], [2, 0]], [[0, 12], [12, 0]])],
                         ids=["power_2", "negative", "word", "wrong_shape", "asymmetric"])
def test_a_bad_declared_core_is_one_line(bad):
    with pytest.raises(fkdrift.FkdriftError, match="pair_core") as info:
        fkdrift.System(potential=core_pair, particles=2, dim=3, pair_core=bad)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_core_terms_are_the_derivatives_of_the_factor(dim):
    cores = uniform_cores(3, 0.2, 11.0)
    rho = jnp.asarray(0.7)
    r = jax.random.normal(jax.random.PRNGKey(dim), (5, 3, dim))

    def value(x):
        return core_terms(x[None], cores, rho, dim)[0][0]

    _, grad, laplacian = core_terms(r, cores, rho, dim)
    for w in range(len(r)):
        np.testing.assert_allclose(grad[w], jax.grad(value)(r[w]), rtol=1e-10, atol=1e-12)
        hessian = jax.hessian(value)(r[w]).reshape(3 * dim, 3 * dim)
        assert laplacian[w] == pytest.approx(float(jnp.trace(hessian)), rel=1e-10)


def untrained(system):
    guide = make_guide(system, NetworkConfig(width=16, depth=2, network_dtype="float64"))
    params = guide.init(jax.random.PRNGKey(0), system)
    return bind(guide.log_psi, params)


def test_the_untrained_guide_cancels_the_core_in_the_local_energy():
    """V grows like σ¹²/s¹² at contact; the factor's first term cancels that and its second
    the next order, s⁻⁷, so E_L grows no faster than s⁻⁵ (the trap's cross term, which
    the network's s² term learns away): at s = 0.05, V = 1e12 and |E_L| s⁵ stays O(0.1)."""
    system = fkdrift.System(potential=core_pair, particles=2, dim=3, statistics="bosons")
    psi = untrained(system)
    assert vanishes(psi)
    s = np.array([0.02, 0.05, 0.1])
    r = np.zeros((3, 2, 3)) + [0.3, 0.1, 0.0]
    r[:, 1, 0] += s
    e_local = np.asarray(jax.jit(lambda x: energy_walkers(psi, system.potential, x).e_local)(r))
    assert np.all(np.asarray(jax.vmap(core_pair)(r)) * s**5 > 1e3)
    assert np.all(np.abs(e_local) * s**5 < 0.2), e_local


def test_a_core_needs_metropolis_moves_of_a_gradient_guide():
    system = fkdrift.System(potential=core_pair, particles=2, dim=3)
    config = fkdrift.Config().for_system(system)
    assert (config.drift_form, config.train_moves) == ("gradient", "metropolis")
    for bad in ({"drift_form": "free"}, {"train_moves": "euler"},
                {"reweighted_moves": "euler"}):
        with pytest.raises(fkdrift.FkdriftError, match="hard core"):
            fkdrift.Config(**bad).for_system(system)


SHORT = fkdrift.Config(train_steps=250, batch=256, eval_walkers=256, eval_time=6.0,
                       reweighted_time=16.0)


@pytest.mark.parametrize("statistics", [
    "bosons", pytest.param("distinguishable", marks=pytest.mark.slow)])
def test_two_particles_with_a_core_against_the_radial_solution(reference, statistics,
                                                              tmp_path):
    """Before the core factor this system ended in an error (walkers stepped across the
    core); now its energy is within 1e-3 relative of the radial finite-difference value,
    covered by its bar, and the file carries the core back."""
    system = fkdrift.System(potential=core_pair, particles=2, dim=3, statistics=statistics)
    result = fkdrift.solve(system, seed=0, config=SHORT, progress=False)
    energy, error = result.energy, result.energy_error
    assert abs(energy - reference) < max(4 * error, 1e-4), (energy, error, reference)
    assert abs(energy - reference) < 1e-3 * reference
    path = tmp_path / "core.h5"
    result.save(path)
    loaded = fkdrift.load(path)
    again = loaded.system
    np.testing.assert_allclose(again.cores.strength, system.cores.strength)
    np.testing.assert_allclose(again.cores.power, system.cores.power)
    assert "hard core: V ~ C/r^12 at contact (1 pair(s))" in loaded.summary()
