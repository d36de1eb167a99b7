"""The committed results' samples against exact densities (Kolmogorov–Smirnov distance)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import fkdrift

RESULTS = Path(__file__).resolve().parent.parent / "results"


CASES = {
    "harmonic-x": ("harmonic.h5", lambda s: s[:, 0, 0], stats.norm(scale=np.sqrt(0.5)).cdf),
    "harmonic3d-z": ("harmonic3d.h5", lambda s: s[:, 0, 2], stats.norm(scale=0.5).cdf),
    # radial density 4r²e^{−2r}: a Gamma(3, scale 1/2) distribution of the radius
    "hydrogen-radius": ("hydrogen.h5", lambda s: np.linalg.norm(s[:, 0], axis=-1),
                        stats.gamma(a=3, scale=0.5).cdf),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_samples_follow_the_exact_density(case):
    name, coordinate, cdf = CASES[case]
    result = fkdrift.load(RESULTS / name)
    x = coordinate(result.samples)
    assert len(x) >= 10_000
    distance = stats.kstest(x, cdf).statistic
    assert distance <= 0.02, distance
    # and the check has power: a 10% wider distribution is rejected
    assert stats.kstest(1.1 * x, cdf).statistic > 0.02
