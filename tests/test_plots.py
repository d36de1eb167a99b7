"""Plots (`fkdrift._plots`): what a physicist reads off each figure is on it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

import fkdrift
import potentials
from fkdrift._plots import (
    densities_figure,
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


def test_training_shows_trend_learning_rate_and_gradient_norm(bosons_2d):
    fig = training_figure(bosons_2d)
    top, low = fig.axes
    assert "reference E0" in top.get_legend_handles_labels()[1]
    assert {"learning rate", "gradient norm (block mean)"} <= set(
        low.get_legend_handles_labels()[1])
    plt.close(fig)


def test_densities_have_units_and_a_2d_map_for_a_2d_system(bosons_2d):
    fig = densities_figure(bosons_2d)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert "one-body density" in titles and "pair correlation" in titles
    assert all("(length units)" in ax.get_xlabel() for ax in fig.axes if ax.get_title())
    plt.close(fig)


def test_nuclei_are_marked_on_the_axis_densities():
    system = potentials.hydrogen()
    result = fkdrift.solve(system, seed=0, config=FAST.replace(
        eval_dts=(0.02, 0.01, 0.005), resample_interval=0.04, chunk_time=0.4))
    fig = densities_figure(result)
    axis0 = next(ax for ax in fig.axes if ax.get_title() == "axis0")
    assert "nucleus" in axis0.get_legend_handles_labels()[1]
    assert "(bohr)" in axis0.get_xlabel()
    plt.close(fig)


def test_g_of_r_has_an_error_band(bosons_2d):
    fig = densities_figure(bosons_2d)
    pair = next(ax for ax in fig.axes if ax.get_title() == "pair correlation")
    assert "± standard error" in pair.get_legend_handles_labels()[1]
    plt.close(fig)


def test_report_has_every_panel_and_the_summary(bosons_2d):
    fig = report_figure(bosons_2d)
    titles = {ax.get_title() for ax in fig.axes}
    assert {"one-body density", "pair correlation"} <= titles
    assert any("training" in t for t in titles) and any("dt → 0" in t for t in titles)
    assert bosons_2d.system.name in fig._suptitle.get_text()
    plt.close(fig)


def test_plot_result_writes_the_report_and_three_pngs(bosons_2d, tmp_path):
    paths = plot_result(bosons_2d, tmp_path / "b")
    assert [p.name for p in paths] == ["b_report.png", "b_training.png", "b_extrapolation.png",
                                       "b_density.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)
