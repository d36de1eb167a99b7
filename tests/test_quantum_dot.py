"""The 2D parabolic quantum dot (`potentials.fermions.quantum_dot`): its potential, spins
and input checks, the Coulomb declaration and the antisymmetric guide, and a short
fixed-node solve of two electrons against an independent finite-difference reference
computed here (centre of mass plus the relative radial equation)."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.linalg import eigh_tridiagonal

import fkdrift
from fkdrift._guide import make_guide
from potentials.fermions import quantum_dot


def relative_ground(n: int, omega: float, coulomb: bool = True, length: float = 12.0) -> float:
    """Lowest m = 0 eigenvalue ε of the relative motion of two electrons in the 2D dot
    (reduced mass ½): −(R'' + R'/r) + (ω² r²/4 + 1/r) R = ε R, by finite differences on
    n cells of [0, length/√ω] (centres r_i = (i − ½)h). −(1/r)(r R')' is discretised with
    the fluxes r_{i±½}(R_{i±1} − R_i)/h², which vanish at the origin (R'(0) is finite);
    weighting row i by r_i makes the matrix symmetric and 1/r harmless, and W^{-1/2}
    turns the generalised problem into a symmetric tridiagonal one."""
    length = length / np.sqrt(omega)
    h = length / n
    r = h * (np.arange(n) + 0.5)
    face = h * np.arange(1, n)  # the inner cell faces r_{i+½}
    diagonal = np.zeros(n)
    diagonal[:-1] += face / h**2
    diagonal[1:] += face / h**2
    diagonal[-1] += length / h**2  # R = 0 just beyond the last cell
    diagonal += r * (omega**2 * r**2 / 4 + (1 / r if coulomb else 0.0))
    scale = 1 / np.sqrt(r)
    return eigh_tridiagonal(diagonal * scale**2, -face / h**2 * scale[:-1] * scale[1:],
                            select="i", select_range=(0, 0))[0][0]


def two_electron_energy(omega: float, coulomb: bool = True) -> float:
    """E0 of the two-electron singlet: the centre of mass (mass 2, energy ω) plus the
    relative ε, Richardson's h² extrapolation from 2000 and 4000 cells."""
    coarse, fine = (relative_ground(n, omega, coulomb) for n in (2000, 4000))
    return omega + (4 * fine - coarse) / 3


def test_finite_difference_reference_without_interaction_is_the_oscillator():
    """Without 1/r the relative motion is a 2D oscillator of frequency ω: ε = ω."""
    for omega in (1.0, 0.5):
        assert two_electron_energy(omega, coulomb=False) == pytest.approx(2 * omega, abs=1e-8)


def test_finite_difference_reference_gives_the_published_two_electron_energy():
    """At ω = 1 the singlet energy is 3 (the published value for this dot; also exact,
    see the next test)."""
    assert two_electron_energy(1.0) == pytest.approx(3.0, abs=1e-5)


def dot_potential(r: np.ndarray, omega: float) -> float:
    """Σ_i ½ω²|r_i|² + Σ_{i<j} 1/|r_i − r_j| by explicit loops. r: (N, 2)."""
    value = sum(0.5 * omega**2 * float(x @ x) for x in r)
    for a, b in itertools.combinations(range(len(r)), 2):
        value += 1.0 / float(np.linalg.norm(r[a] - r[b]))
    return value


def test_two_electron_closed_form_is_an_eigenstate_with_energy_three():
    """ψ = (1 + r12) exp(−(r1² + r2²)/2) solves Hψ = 3ψ at ω = 1 (nodeless, so the
    ground state): the exact energy the system attaches for N = 2, ω = 1."""
    def psi(x):  # x: (4,) = (r1, r2)
        r1, r2 = x[:2], x[2:]
        return (1 + jnp.linalg.norm(r1 - r2)) * jnp.exp(-0.5 * jnp.sum(x**2))

    laplacian = jax.jit(lambda x: jnp.trace(jax.hessian(psi)(x)))
    rng = np.random.default_rng(1)
    for x in rng.normal(size=(8, 4)):
        local = -0.5 * float(laplacian(jnp.asarray(x))) / float(psi(jnp.asarray(x)))
        local += dot_potential(x.reshape(2, 2), 1.0)
        assert local == pytest.approx(3.0, abs=1e-9)
    assert quantum_dot().exact_energy == 3.0
    assert quantum_dot(particles=1, omega=0.7).exact_energy == pytest.approx(0.7)
    assert quantum_dot(omega=0.5).exact_energy is None
    assert quantum_dot(particles=2, spins=(2, 0)).exact_energy is None
    assert quantum_dot(particles=6).exact_energy is None


@pytest.mark.parametrize("omega", [1.0, 0.28])
@pytest.mark.parametrize("particles", [1, 2, 3, 6])
def test_potential_is_the_confinement_plus_the_coulomb_repulsion(particles, omega):
    system = quantum_dot(particles=particles, omega=omega)
    assert system.shape == (particles, 2)
    rng = np.random.default_rng(particles)
    r = rng.normal(size=(5, particles, 2))
    values = np.asarray(jax.jit(jax.vmap(system.potential))(jnp.asarray(r)))
    expected = [dot_potential(x, omega) for x in r]
    np.testing.assert_allclose(values, expected, rtol=1e-12)


@pytest.mark.parametrize(("particles", "spins"),
                         [(1, (1, 0)), (2, (1, 1)), (3, (2, 1)), (6, (3, 3)), (7, (4, 3))])
def test_default_spins_fill_up_then_down(particles, spins):
    system = quantum_dot(particles=particles)
    assert system.spins == spins
    assert system.statistics == "fermions" and system.fermions
    up, down = spins
    assert system.name == f"quantum_dot_N{particles}_{up}u{down}d_w1"
    assert system.source == {"builtin": "quantum_dot",
                             "kwargs": {"particles": particles, "spins": [up, down],
                                        "omega": 1.0}}


def test_electrons_are_declared_charged_without_nuclei():
    system = quantum_dot(particles=6, spins=(4, 2), omega=0.5)
    assert system.spins == (4, 2)
    assert system.coulomb
    np.testing.assert_array_equal(system.particle_charge, -np.ones(6))
    assert system.nuclei.shape == (0, 2) and system.nuclear_charges.shape == (0,)
    assert not quantum_dot(particles=1).coulomb  # no pair, nothing to declare


BAD = {
    "no_particles": (dict(particles=0), "particles >= 1"),
    "fractional_particles": (dict(particles=2.5), "particles >= 1"),
    "zero_omega": (dict(omega=0.0), "omega > 0"),
    "negative_omega": (dict(omega=-1.0), "omega > 0"),
    "infinite_omega": (dict(omega=float("inf")), "omega > 0"),
    "spins_do_not_add_up": (dict(particles=3, spins=(3, 1)), "adding up to particles=3"),
    "negative_spin": (dict(particles=2, spins=(3, -1)), "non-negative"),
    "three_spins": (dict(particles=3, spins=(1, 1, 1)), "n_up, n_down"),
}


@pytest.mark.parametrize(("kwargs", "message"), BAD.values(), ids=BAD.keys())
def test_bad_input_is_one_line(kwargs, message):
    with pytest.raises(fkdrift.FkdriftError, match=message) as info:
        quantum_dot(**kwargs)
    assert "\n" not in str(info.value)


def test_the_built_in_is_registered_and_rebuilds_from_its_source():
    system = fkdrift.registry.build("quantum_dot", particles=6, omega=0.5)
    assert system.name == "quantum_dot_N6_3u3d_w0.5"
    again = fkdrift.registry.build("quantum_dot", **system.source["kwargs"])
    assert again.describe() == system.describe()


def test_the_exchange_check_accepts_the_potential():
    """The solver's pre-flight check: V traces, is finite and does not change when two
    electrons of equal spin trade places."""
    system = quantum_dot(particles=6)
    walkers = jnp.asarray(np.random.default_rng(0).normal(size=(64, 6, 2)))
    system.check_potential(walkers)


def test_untrained_guide_is_finite_and_antisymmetric_in_equal_spins():
    """The fermion guide for the dot (Slater determinants per spin, wrapped in the
    electron–electron cusps): log |ψ| is finite, unchanged and of opposite sign when two
    electrons of equal spin trade places."""
    system = quantum_dot(particles=6)
    guide = make_guide(system, fkdrift.NetworkConfig(width=16, depth=2,
                                                     network_dtype="float64"))
    assert guide.name == "determinant" and guide.gradient
    params = guide.init(jax.random.PRNGKey(0), system)
    log_psi = jax.jit(lambda r: guide.log_psi(params, r))
    sign = jax.jit(lambda r: guide.log_psi.sign(params, r))
    r = jnp.asarray(np.random.default_rng(2).normal(size=(16, 6, 2)))
    assert np.all(np.isfinite(log_psi(r)))
    for i, j in [(0, 1), (1, 2), (3, 4), (4, 5)]:  # up-up and down-down exchanges
        order = np.arange(6)
        order[[i, j]] = [j, i]
        np.testing.assert_allclose(log_psi(r[:, order]), log_psi(r), atol=1e-10)
        np.testing.assert_array_equal(sign(r[:, order]), -sign(r))


COALESCENCES = {  # which two electrons of the N = 3 dot (2 up, 1 down) meet
    "up_down": (0, 2),
    "up_up": (0, 1),
}


@pytest.mark.parametrize("pair", COALESCENCES.values(), ids=COALESCENCES.keys())
def test_guide_has_the_2d_kato_cusps(pair):
    """E_L of the untrained guide stays finite as two electrons meet: in 2D the relative
    wave R ~ r^m (1 + a r) needs a = 1/(2m + 1) against the 1/r repulsion (reduced mass
    ½): 1 for opposite spins (m = 0), 1/3 for equal spins (m = 1, odd); a wrong a leaves
    (1 − (2m + 1) a)/r in E_L."""
    from fkdrift._local_energy import bind, local_energies

    system = quantum_dot(particles=3)
    guide = make_guide(system, fkdrift.NetworkConfig(width=16, depth=2,
                                                     network_dtype="float64"))
    bound = bind(guide.log_psi, guide.init(jax.random.PRNGKey(0), system))
    e_local = jax.jit(lambda r: local_energies(bound, system.potential, r))
    base = np.array([[0.7, -0.2], [-0.5, 0.9], [0.3, 0.6]])
    i, j = pair
    values = []
    for s in (1e-3, 1e-4):
        r = base.copy()
        r[i] = base[j] + s * np.array([0.6, 0.8])
        values.append(float(e_local(jnp.asarray(r)[None])[0]))
    # a cusp wrong by 1/6 (equal spins, ½ for ⅓) moves E_L by ~0.5 * (1e4 - 1e3) = 4500
    assert abs(values[1] - values[0]) < 5.0, values


# test_fermions.py's short-solve sizes with half the estimator times (about a minute on
# one core; seeds 0 and 1 both land within 0.1 σ–0.2 σ of 3)
QUICK = fkdrift.Config(train_steps=300, eval_time=5.0, reweighted_time=12.0)


@pytest.mark.slow
def test_two_electron_dot_agrees_with_the_finite_difference_reference():
    """The singlet has no node, so the fixed-node energy is the exact one: the learned
    guide and the cusps must bring the estimate onto the finite-difference value."""
    reference = two_electron_energy(1.0)
    result = fkdrift.solve(quantum_dot(particles=2, spins=(1, 1)), seed=0, config=QUICK)
    assert result.estimator.startswith("fixed-node")
    assert abs(result.energy - reference) < max(4 * result.energy_error, 2e-3), (
        result.energy, result.energy_error, reference)
