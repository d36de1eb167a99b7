"""Densities from walker samples. samples: (n, particles, dim)."""

from __future__ import annotations

import numpy as np

from ._geometry import pair_distances, pair_index


def axis_density(samples: np.ndarray, bins: int) -> dict[str, np.ndarray]:
    """One-body density along each Cartesian axis, all particles pooled.

    Returns {"axis{i}_edges": (bins+1,), "axis{i}_density": (bins,)} for each axis i,
    each density normalised to integrate to 1.
    """
    out = {}
    pooled = np.asarray(samples).reshape(-1, samples.shape[-1])
    for i in range(pooled.shape[1]):
        lo, hi = np.quantile(pooled[:, i], [0.0005, 0.9995])
        pad = 0.05 * (hi - lo) + 1e-12
        density, edges = np.histogram(pooled[:, i], bins=bins, range=(lo - pad, hi + pad),
                                      density=True)
        out[f"axis{i}_edges"], out[f"axis{i}_density"] = edges, density
    return out


def radial_density(samples: np.ndarray, bins: int, center: np.ndarray | None = None
                   ) -> dict[str, np.ndarray]:
    """Distribution of |r_i − center| over all particles, normalised to integrate to 1.

    Returns {"radial_edges": (bins+1,), "radial_density": (bins,)}; for one particle in
    3D this is 4πr²|φ0(r)|².
    """
    pooled = np.asarray(samples).reshape(-1, samples.shape[-1])
    if center is not None:
        pooled = pooled - center
    radius = np.linalg.norm(pooled, axis=1)
    hi = np.quantile(radius, 0.9995) * 1.05 + 1e-12
    density, edges = np.histogram(radius, bins=bins, range=(0.0, hi), density=True)
    return {"radial_edges": edges, "radial_density": density}


def pair_distance_density(samples: np.ndarray, bins: int) -> dict[str, np.ndarray]:
    """Distribution of pair distances |r_i − r_j|, i < j (the unnormalised pair correlation).

    Returns {"pair_edges": (bins+1,), "pair_density": (bins,)}; empty for one particle.
    """
    samples = np.asarray(samples)
    P = samples.shape[1]
    if P < 2:
        return {}
    dist = pair_distances(samples).ravel()
    hi = np.quantile(dist, 0.9995) * 1.05 + 1e-12
    density, edges = np.histogram(dist, bins=bins, range=(0.0, hi), density=True)
    return {"pair_edges": edges, "pair_density": density}


MIN_PAIRS = 100
"""Bins of g(r) with fewer uncorrelated pairs than this are NaN (a ratio of a few counts
would spike, as it did to ~9 in the tail)."""


def pair_correlation(samples: np.ndarray, bins: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Pair-correlation function g(r) = P(r) / P_uncorrelated(r) of the pair distance.

    P(r) is the distribution of |r_i − r_j| (i < j) within each sample; P_uncorrelated(r)
    that of particle i of one sample and particle j of another (a random pairing of the
    samples), i.e. of independent particles with the same one-body densities. So g ≡ 1
    without correlations, g(0) < 1 for repulsion; in a trap this normalisation is the
    meaningful one (there is no uniform bulk density).
    Returns {"pair_correlation_edges": (bins+1,), "pair_correlation": (bins,),
    "pair_correlation_error": (bins,)} (NaN in bins with fewer than MIN_PAIRS uncorrelated
    pairs); empty for one particle. The error is a jackknife over `G_BLOCKS` consecutive
    blocks of samples (snapshots close in time are correlated; blocks of them much less).
    """
    samples = np.asarray(samples)
    n, P = samples.shape[:2]
    if P < 2 or n < 2:
        return {}
    i, j = pair_index(P)
    partner = samples[np.random.default_rng(seed).permutation(n)]
    close = pair_distances(samples).ravel()
    apart = np.linalg.norm(samples[:, i] - partner[:, j], axis=-1).ravel()
    hi = np.quantile(close, 0.999) * 1.05 + 1e-12
    # counts over equally many pairs: both normalised by all pairs, in range or not
    joint, edges = np.histogram(close, bins=bins, range=(0.0, hi))
    independent, _ = np.histogram(apart, bins=edges)
    with np.errstate(invalid="ignore", divide="ignore"):  # too few pairs: no estimate
        g = np.where(independent >= MIN_PAIRS, joint / independent, np.nan)
    return {"pair_correlation_edges": edges, "pair_correlation": g,
            "pair_correlation_error": _jackknife_error(close, apart, edges, n, g)}


G_BLOCKS = 20
"""Blocks of consecutive samples in the jackknife error of g(r)."""


def _jackknife_error(close: np.ndarray, apart: np.ndarray, edges: np.ndarray, n: int,
                     g: np.ndarray) -> np.ndarray:
    """Jackknife standard error of g = joint/independent over blocks of samples;
    close, apart: (n · pairs,) distances in sample order. NaN where g is."""
    if n < G_BLOCKS:
        return np.full(len(g), np.nan)
    block = np.repeat(np.arange(n) * G_BLOCKS // n, len(close) // n)
    joint = np.stack([np.histogram(close[block == b], bins=edges)[0] for b in range(G_BLOCKS)])
    indep = np.stack([np.histogram(apart[block == b], bins=edges)[0] for b in range(G_BLOCKS)])
    with np.errstate(invalid="ignore", divide="ignore"):
        left_out = (joint.sum(0) - joint) / (indep.sum(0) - indep)  # (G_BLOCKS, bins)
        spread = np.sum((left_out - left_out.mean(0)) ** 2, axis=0)
    return np.where(np.isfinite(g), np.sqrt((G_BLOCKS - 1) / G_BLOCKS * spread), np.nan)


def densities(samples: np.ndarray, bins: int) -> dict[str, np.ndarray]:
    """All stored density histograms of `samples` (axis, radial for dim > 1, pair) and the
    pair-correlation function g(r) for several particles."""
    out = axis_density(samples, bins)
    if samples.shape[-1] > 1:
        out.update(radial_density(samples, bins))
    out.update(pair_distance_density(samples, bins))
    out.update(pair_correlation(samples, bins))
    return out
