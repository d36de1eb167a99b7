"""`fkdrift._result`: the printed form of estimates."""

from __future__ import annotations

import pytest

from fkdrift._result import value_with_error


@pytest.mark.parametrize(("value", "error", "at_least", "text"), [
    (-0.5000021902, 3.07e-6, 0, "-0.5000022 ± 0.0000031"),
    (-2.9033201, 3.03e-4, 0, "-2.90332 ± 0.00030"),
    (4.98423, 8.44e-4, 6, "4.984230 ± 0.000844"),
    (1.5, 0.25, 0, "1.50 ± 0.25"),
], ids=["hydrogen", "helium", "at-least-6", "coarse"])
def test_two_significant_digits_of_the_error(value, error, at_least, text):
    assert value_with_error(value, error, at_least) == text
