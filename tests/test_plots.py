"""Plots (`fkdrift._plots`): what a physicist reads off each figure is on it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

import fkdrift
import potentials
from fkdrift._plots import (
    densities_figure,
    density_grid,
    extrapolation_figure,
    plot_result,
    report_figure,
    training_figure,
)

FAST = fkdrift.Config(train_steps=20, batch=64, window=10, width=8, eval_walkers=128,
                      eval_time=2.0, burn_in_time=0.4, reweighted_time=2.0)


@pytest.fixture(scope="module")
def bosons_2d() -> fkdrift.Result:
    return fkdrift.solve(potentials.trapped_bosons(2, g=3.0), seed=0, config=FAST)


def test_extrapolation_shows_both_estimators_their_fits_and_the_reported_e0(bosons_2d):
    fig = extrapolation_figure(bosons_2d)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    for name in ("reweighted", "variational"):
        assert f"{name}, per dt" in labels and f"{name}, dt → 0" in labels
    assert "reported E0 ± error" in labels and "reference" in labels
    assert len(fig.axes[0].get_lines()) >= 3  # two fit lines and the reference
    plt.close(fig)


def test_extrapolation_axis_is_plain_thousandths_above_the_reference(hydrogen):
    """Hydrogen's energies differ in the sixth digit: matplotlib put them on an offset
    axis ("1e−5−5e−1"); now E − E_exact in mHa with plain tick labels."""
    fig = extrapolation_figure(hydrogen)
    ax = fig.axes[0]
    fig.canvas.draw()
    assert ax.get_ylabel() == "E − E_exact (mHa)"
    assert ax.yaxis.get_offset_text().get_text() == ""
    assert ax.xaxis.get_offset_text().get_text() == ""
    assert "E_exact = -0.500000 Ha" in ax.get_title()
    plt.close(fig)


def test_training_shows_trend_learning_rate_and_gradient_norm(bosons_2d):
    fig = training_figure(bosons_2d)
    top, low = fig.axes
    assert "reference E0" in top.get_legend_handles_labels()[1]
    assert {"learning rate", "gradient norm"} <= set(low.get_legend_handles_labels()[1])
    plt.close(fig)


def test_training_curve_is_called_the_estimate_at_the_training_step(bosons_2d):
    """The curve is ⟨ℓ_T⟩/T at the training dt, biased by the step (it ends below E0 for
    helium and H2): labelled so, never a bound; one update per point is 'per update',
    not 'mean of each 1 updates'."""
    fig = training_figure(bosons_2d)
    top = fig.axes[0]
    dt = bosons_2d.config.dt
    labels = top.get_legend_handles_labels()[1]
    assert len(bosons_2d.history["step"]) < 100  # one update per point
    assert f"training estimate at dt = {dt:g}, per update" in labels
    assert not any("each" in label for label in labels)
    assert "not a bound" in top.get_title() and f"dt = {dt:g}" in top.get_title()
    plt.close(fig)


def test_densities_have_units_titles_and_a_2d_map_with_a_colour_bar(bosons_2d):
    fig = densities_figure(bosons_2d)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert {"one-body density", "pair correlation g(r)", "density along x",
            "density along y", "radial distance r"} <= set(titles)
    assert not any(title.startswith("axis") for title in titles)
    assert all("(length units)" in ax.get_xlabel() for ax in fig.axes if ax.get_title())
    density_map = next(ax for ax in fig.axes if ax.get_title() == "one-body density")
    assert density_map.collections[0].colorbar is not None
    plt.close(fig)


@pytest.mark.parametrize(("panels", "grid"), [(1, (1, 1)), (2, (1, 2)), (4, (2, 2)),
                                              (5, (2, 3)), (6, (2, 3)), (7, (3, 3))])
def test_density_panels_form_a_grid_of_at_most_three_columns(panels, grid):
    assert density_grid(panels) == grid


def test_density_figure_is_a_grid_not_a_strip(bosons_2d):
    """Six panels (2880 × 432 px before) in two rows of three: 1548 × 816 px at the
    120 dpi of `plot_result`, readable when shown 1000 px wide."""
    fig = densities_figure(bosons_2d)
    geometry = {ax.get_subplotspec().get_geometry()[:2] for ax in fig.axes
                if ax.get_title()}
    assert geometry == {(2, 3)}
    width, height = fig.get_size_inches() * 120
    assert width <= 1600 and width / height < 2.5
    plt.close(fig)


@pytest.fixture(scope="module")
def hydrogen() -> fkdrift.Result:
    return fkdrift.solve(potentials.hydrogen(), seed=0, config=FAST.replace(
        eval_dts=(0.02, 0.01, 0.005), resample_interval=0.04, chunk_time=0.4))


def test_nuclei_and_exact_marginals_on_hydrogen_axis_densities(hydrogen):
    fig = densities_figure(hydrogen)
    for name in "xyz":
        panel = next(ax for ax in fig.axes if ax.get_title() == f"density along {name}")
        assert {"nucleus", "exact", "samples"} <= set(panel.get_legend_handles_labels()[1])
        assert panel.get_xlabel() == f"{name} (bohr)"
    radial = next(ax for ax in fig.axes if ax.get_title() == "radial distance r")
    assert "exact" in radial.get_legend_handles_labels()[1]
    plt.close(fig)


def test_g_of_r_has_an_error_band(bosons_2d):
    fig = densities_figure(bosons_2d)
    pair = next(ax for ax in fig.axes if ax.get_title() == "pair correlation g(r)")
    assert "± standard error" in pair.get_legend_handles_labels()[1]
    plt.close(fig)


def test_report_has_every_panel_and_the_summary(bosons_2d):
    fig = report_figure(bosons_2d)
    titles = {ax.get_title() for ax in fig.axes}
    assert {"one-body density", "pair correlation g(r)"} <= titles
    assert any("training" in t for t in titles) and any("dt → 0" in t for t in titles)
    assert bosons_2d.system.name in fig._suptitle.get_text()
    plt.close(fig)


def test_plot_result_writes_the_report_and_three_pngs(bosons_2d, tmp_path):
    paths = plot_result(bosons_2d, tmp_path / "b")
    assert [p.name for p in paths] == ["b_report.png", "b_training.png", "b_extrapolation.png",
                                       "b_density.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)
