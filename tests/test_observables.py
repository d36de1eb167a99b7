"""Observables from samples: pair-distance density and the pair-correlation function g(r)."""

from __future__ import annotations

import numpy as np
import pytest

from fkdrift._observables import G_BLOCKS, densities, pair_correlation


def gaussian_pairs(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """(n, 2, dim) samples of two independent particles in a Gaussian trap."""
    return np.random.default_rng(seed).normal(size=(n, 2, dim))


@pytest.mark.parametrize("dim", [1, 2, 3], ids=lambda d: f"{d}d")
def test_independent_particles_are_uncorrelated(dim):
    g = pair_correlation(gaussian_pairs(200_000, dim), bins=20)
    values = g["pair_correlation"]
    edges = g["pair_correlation_edges"]
    assert edges.shape == (21,) and values.shape == (20,)
    # where the histogram is well populated, g = 1 within counting noise
    centre = (edges[:-1] + edges[1:]) / 2
    bulk = centre < np.quantile(np.linalg.norm(np.diff(gaussian_pairs(1000, dim), axis=1),
                                               axis=-1), 0.9)
    np.testing.assert_allclose(values[bulk][1:], 1.0, atol=0.06)


def test_repelled_pairs_have_a_correlation_hole():
    """Pairs farther apart than independent particles with the same one-body density would
    be (relative variance 18 against 10): g(r) ∝ exp(−r²/36)/exp(−r²/20) · 10/18."""
    rng = np.random.default_rng(1)
    n = 200_000
    centre = rng.normal(size=(n, 1, 2)) / np.sqrt(2)
    relative = rng.normal(size=(n, 1, 2)) * np.sqrt(2) * 3.0  # pairs pushed apart
    samples = np.concatenate([centre + relative / 2, centre - relative / 2], axis=1)
    g = pair_correlation(samples, bins=30)["pair_correlation"]
    assert g[1] < 0.7  # the hole at contact
    assert np.nanmax(g) > 1.1


def test_densities_include_g_only_for_several_particles():
    one = densities(np.random.default_rng(0).normal(size=(500, 1, 2)), bins=10)
    assert "pair_correlation" not in one and "pair_edges" not in one
    two = densities(gaussian_pairs(500, 2), bins=10)
    assert two["pair_correlation"].shape == (10,)
    assert two["pair_density"].shape == (10,)


def test_g_of_r_error_bars_match_the_scatter_over_independent_sample_sets():
    """Pulls (g − 1)/error of independent particles over 30 sample sets and the bulk bins
    have the width of Student's t with G_BLOCKS − 1 degrees of freedom (a jackknife
    error): error bars 25% too small or too large fail."""
    pulls = []
    for seed in range(30):
        g = pair_correlation(gaussian_pairs(20_000, 2, seed=seed + 10), bins=12, seed=seed)
        value, error = g["pair_correlation"], g["pair_correlation_error"]
        bulk = np.isfinite(value) & (g["pair_correlation_edges"][:-1] < 2.5)
        pulls.extend(((value - 1.0) / error)[bulk][1:])
    expected = np.sqrt((G_BLOCKS - 1) / (G_BLOCKS - 3))
    width = np.std(pulls) / expected
    assert 0.85 < width < 1.15, width
