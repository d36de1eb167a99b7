"""Built-in systems (`potentials`): they build, trace, and carry the right exact answers."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

import potentials
from fkdrift import FkdriftError, System

DATA = Path(__file__).resolve().parent / "data"  # copies of shared/data (see its README)


def random_configs(system: System, n: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, *system.shape))


def values(system: System, r: np.ndarray) -> np.ndarray:
    return np.asarray(jax.jit(jax.vmap(system.potential))(jnp.asarray(r)))


def test_names_lists_the_builtins():
    names = potentials.names()
    assert names == sorted(names)
    assert {"harmonic", "hydrogen", "helium", "h2", "trapped_bosons"} <= set(names)


@pytest.mark.parametrize("name", potentials.names())
def test_builtin_builds_traces_and_is_finite(name):
    system = potentials.get(name)
    assert isinstance(system, System)
    spec = jax.ShapeDtypeStruct(system.shape, jnp.float64)
    assert jax.eval_shape(system.potential, spec).shape == ()
    r = random_configs(system)
    v = values(system, r)
    assert v.shape == (len(r),)
    assert np.all(np.isfinite(v))
    # the solver's own pre-flight check accepts it
    system.check_potential(jnp.asarray(r))
    # and the recorded source rebuilds an equivalent system (used when loading results)
    source = system.source
    assert source["builtin"] == name
    again = potentials.get(source["builtin"], **source.get("kwargs", {}))
    assert again.describe() == system.describe()
    np.testing.assert_allclose(values(again, r), v, rtol=1e-12)


@pytest.mark.parametrize("name", potentials.names())
def test_builtin_has_exact_energy_by_default(name):
    assert isinstance(potentials.get(name).exact_energy, float)


def test_unknown_builtin_lists_known_names():
    with pytest.raises(FkdriftError, match="unknown potential 'nope'.*harmonic.*hydrogen"):
        potentials.get("nope")


def test_builtin_unknown_option_is_fkdrift_error():
    with pytest.raises(FkdriftError, match="harmonic"):
        potentials.get("harmonic", colour="red")


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("omega", [1.0, 2.5])
def test_harmonic_exact_energy(dim, omega):
    system = potentials.get("harmonic", dim=dim, omega=omega)
    assert system.exact_energy == pytest.approx(dim * omega / 2)
    r = random_configs(system)
    np.testing.assert_allclose(values(system, r), 0.5 * omega**2 * np.sum(r**2, axis=(1, 2)))


def test_harmonic_particles_scale_energy():
    system = potentials.get("harmonic", dim=2, omega=1.5, particles=3)
    assert system.shape == (3, 2)
    assert system.exact_energy == pytest.approx(3 * 2 * 1.5 / 2)


def test_anisotropic_harmonic_exact_energy():
    omegas = [1.0, 2.0, 0.5]
    system = potentials.get("harmonic", dim=3, omegas=omegas)
    assert system.exact_energy == pytest.approx(sum(omegas) / 2)
    r = random_configs(system)
    expected = 0.5 * np.sum(np.asarray(omegas) ** 2 * r**2, axis=(1, 2))
    np.testing.assert_allclose(values(system, r), expected)


@pytest.mark.parametrize("kwargs", [{"omega": 0.0}, {"omega": -1.0},
                                    {"dim": 2, "omegas": [1.0]},
                                    {"dim": 2, "omegas": [1.0, -1.0]}])
def test_harmonic_bad_frequencies(kwargs):
    with pytest.raises(FkdriftError):
        potentials.get("harmonic", **kwargs)


@pytest.mark.parametrize("Z", [1.0, 2.0, 3.0])
def test_hydrogen_exact_energy(Z):
    system = potentials.get("hydrogen", Z=Z)
    assert system.exact_energy == pytest.approx(-(Z**2) / 2)
    assert system.coulomb and system.shape == (1, 3)
    r = random_configs(system)
    np.testing.assert_allclose(values(system, r), -Z / np.linalg.norm(r[:, 0], axis=-1))


@pytest.mark.parametrize("kwargs", [{"Z": 0.0}, {"Z": -1.0}])
def test_hydrogen_bad_charge(kwargs):
    with pytest.raises(FkdriftError, match="Z"):
        potentials.get("hydrogen", **kwargs)


def test_h2_exact_energy_only_at_reference_bond_lengths():
    assert potentials.get("h2").exact_energy == pytest.approx(-1.1744759314, abs=1e-10)
    stretched = potentials.get("h2", R=2.8)
    assert stretched.exact_energy == pytest.approx(-1.070683196, abs=1e-9)
    assert stretched.name == "h2_R2.8" and potentials.get("h2").name == "h2"
    assert potentials.get("h2", R=2.0).exact_energy is None
    with pytest.raises(FkdriftError):
        potentials.get("h2", R=0.0)


@pytest.mark.parametrize(
    ("name", "kwargs", "key"),
    [("harmonic", {"dim": 1}, "axis0"),
     ("harmonic", {"dim": 2, "omega": 2.0}, "axis1"),
     ("harmonic", {"dim": 3, "omegas": [0.5, 1.0, 3.0]}, "axis0"),
     ("harmonic", {"dim": 3, "omegas": [0.5, 1.0, 3.0]}, "axis2"),
     ("hydrogen", {}, "radial"),
     ("hydrogen", {"Z": 2.0}, "radial"),
     ("hydrogen", {}, "axis0"),
     ("hydrogen", {"Z": 2.0}, "axis2")],
    ids=str,
)
def test_exact_densities_integrate_to_one(name, kwargs, key):
    system = potentials.get(name, **kwargs)
    density = system.exact_density[key]
    lower = 0.0 if key == "radial" else -np.inf
    total, err = integrate.quad(lambda x: float(density(x)), lower, np.inf)
    assert total == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("omegas", [[1.0], [0.5, 1.0, 3.0]], ids=str)
def test_harmonic_density_variance(omegas):
    """Axis i of the oscillator ground state has variance 1/(2 ω_i)."""
    system = potentials.get("harmonic", dim=len(omegas), omegas=omegas)
    for i, w in enumerate(omegas):
        density = system.exact_density[f"axis{i}"]
        var, _ = integrate.quad(lambda x, d=density: x**2 * float(d(x)), -np.inf, np.inf)
        assert var == pytest.approx(1 / (2 * w), rel=1e-8)


def test_hydrogen_mean_radius():
    """<r> = 3/(2Z) for the 1s state."""
    for Z in (1.0, 2.0):
        density = potentials.get("hydrogen", Z=Z).exact_density["radial"]
        mean, _ = integrate.quad(lambda x, d=density: x * float(d(x)), 0, np.inf)
        assert mean == pytest.approx(1.5 / Z, rel=1e-8)


def test_exact_density_keys_match_stored_histograms():
    assert set(potentials.get("harmonic", dim=3).exact_density) == {"axis0", "axis1", "axis2"}
    assert set(potentials.get("hydrogen").exact_density) == {"radial", "axis0", "axis1",
                                                             "axis2"}


def test_hydrogen_axis_density_is_the_marginal_of_the_radial_one():
    """<x²> = <r²>/3 = 1/Z² for the 1s state, and the density at 0 is ½Z."""
    for Z in (1.0, 2.0):
        density = potentials.get("hydrogen", Z=Z).exact_density["axis1"]
        second, _ = integrate.quad(lambda x, d=density: x**2 * float(d(x)), -np.inf, np.inf)
        assert second == pytest.approx(1 / Z**2, rel=1e-8)
        assert float(density(0.0)) == pytest.approx(0.5 * Z)


def _mujal(N: int) -> dict[float, float]:
    table = np.loadtxt(DATA / f"Mujal_N{N}_s05.txt")
    return {round(2 * half_g, 6): e0 for half_g, e0 in table}  # first column is g/2


@pytest.mark.parametrize("N", [2, 3, 4])
def test_mujal_constants_match_the_distributed_table(N):
    from potentials.bosons import MUJAL_E0

    table = _mujal(N)
    assert set(table) <= set(MUJAL_E0[N])
    for g, e0 in table.items():
        assert MUJAL_E0[N][g] == pytest.approx(e0, abs=1e-12), (N, g)


@pytest.mark.parametrize(("N", "g"), [(3, 3.0), (3, 16.0), (4, 3.0), (4, 16.0)],
                         ids=["N3-g3", "N3-g16", "N4-g3", "N4-g16"])
def test_many_boson_reference_is_the_dmc_not_the_table(N, g):
    """N >= 3: the table is a basis-truncated upper bound, off by more than the bars; the
    attached reference is the independent DMC, with its error and its name."""
    system = potentials.get("trapped_bosons", particles=N, g=g)
    assert system.reference_source == "independent DMC"
    assert 0 < system.reference_error < 2e-3
    assert N < system.exact_energy < _mujal(N)[g]  # below the variational table


def test_trapped_bosons_reference_only_where_known():
    assert potentials.get("trapped_bosons", particles=2, g=3.0, s=0.4).exact_energy is None
    assert potentials.get("trapped_bosons", particles=5, g=3.0).exact_energy is None
    table = potentials.get("trapped_bosons", particles=3, g=5.0)
    assert table.exact_energy == _mujal(3)[5.0] and "table" in table.reference_source


@pytest.mark.parametrize("N", [1, 2, 3, 4])
def test_trapped_bosons_g0_is_plain_trap(N):
    system = potentials.get("trapped_bosons", particles=N, g=0.0)
    assert system.exact_energy == pytest.approx(N)
    assert system.statistics == "bosons" and system.shape == (N, 2)
    r = random_configs(system)
    np.testing.assert_allclose(values(system, r), 0.5 * np.sum(r**2, axis=(1, 2)),
                               rtol=1e-13, atol=1e-13)


def test_trapped_bosons_interaction_formula():
    g, s = 3.0, 0.5
    system = potentials.get("trapped_bosons", particles=3, g=g, s=s)
    r = random_configs(system, n=16)
    expected = 0.5 * np.sum(r**2, axis=(1, 2))
    for i in range(3):
        for j in range(i + 1, 3):
            r2 = np.sum((r[:, i] - r[:, j]) ** 2, axis=-1)
            expected += g / (np.pi * s**2) * np.exp(-r2 / s**2)
    np.testing.assert_allclose(values(system, r), expected, rtol=1e-12)


def test_trapped_bosons_bad_arguments():
    with pytest.raises(FkdriftError):
        potentials.get("trapped_bosons", particles=0)
    with pytest.raises(FkdriftError):
        potentials.get("trapped_bosons", s=0.0)


def test_solver_resolves_builtin_names():
    from fkdrift._solver import resolve_system

    assert resolve_system("hydrogen").exact_energy == -0.5
    with pytest.raises(FkdriftError, match="known"):
        resolve_system("no_such_system")
