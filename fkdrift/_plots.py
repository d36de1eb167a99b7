"""PNG plots of a saved result (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ._result import Result  # noqa: E402


def _blocks(x: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Means of consecutive blocks of `span` values: (n // span,), and the scatter of
    those means (standard deviation over five neighbouring blocks). The scatter, not the
    spread of single updates, is the noise of a block mean: consecutive windows share
    their boundary terms with opposite signs, so their means telescope."""
    n = len(x) // span
    means = np.nanmean(np.asarray(x[: n * span], float).reshape(n, span), axis=1)
    scatter = np.array([np.nanstd(means[max(0, i - 2): i + 3], ddof=1) if n > 2 else 0.0
                        for i in range(n)])
    return means, scatter


def _figure(fig, figsize: tuple[float, float]):
    """`fig` (a Figure or SubFigure to draw into), or a new constrained-layout Figure."""
    return fig if fig is not None else plt.figure(figsize=figsize, layout="constrained")


def _block_label(span: int) -> str:
    """How the training curve averages: "per update" or "mean of 40 updates"."""
    return "per update" if span == 1 else f"mean of {span} updates"


def _plain_axis(ax, axis: str = "y") -> None:
    """Absolute tick labels on `axis`: no offset text ("1e-5−5e-1") above the axis."""
    ax.ticklabel_format(axis=axis, useOffset=False, style="plain")


def training_figure(result: Result, fig=None) -> plt.Figure:
    """Training: block means of the training estimate ⟨ℓ_T⟩/T (at the training step dt,
    which biases it: it is no bound on E0 and may end below it) with their scatter and the
    reference E0, and below them the learning rate and the gradient norm (block means, log
    scale). fig: a (sub)figure to draw into, default a new one."""
    h = result.history
    fig = _figure(fig, (6.5, 6))
    ax, low = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    steps = np.asarray(h["step"])
    span = max(1, len(steps) // 50)
    mean, sem = _blocks(np.asarray(h["energy"]), span)
    x = _blocks(steps, span)[0]
    dt = result.config.training.dt
    ax.plot(x, mean, ".-", color="C0", lw=1,
            label=f"training estimate at dt = {dt:g}, {_block_label(span)}")
    ax.fill_between(x, mean - sem, mean + sem, color="C0", alpha=0.25,
                    label="± scatter of those means" if span > 1 else "± scatter of updates")
    marks = [np.min(mean), np.quantile(mean, 0.9)] if len(mean) else []
    if result.exact_energy is not None:
        ax.axhline(result.exact_energy, color="k", ls="--", label="reference E0")
        marks.append(result.exact_energy)
    if marks:  # the trend, not the first updates, sets the scale
        lo, hi = min(marks), max(marks)
        pad = max(hi - lo, 1e-4) * 0.25
        ax.set_ylim(lo - pad, hi + pad)
    unit = "Ha" if result.system.coulomb else "energy units, ħ = m = 1"
    ax.set(ylabel=f"⟨ℓ_T⟩/T ({unit})",
           title=f"{result.system.name}: training ({len(steps)} updates)\n"
                 f"at dt = {dt:g}, biased by the step: not a bound on E0")
    _plain_axis(ax)
    ax.legend(fontsize=8)
    if "learning_rate" in h:
        low.plot(steps, h["learning_rate"], color="C2", label="learning rate")
    else:  # written before the learning rate was recorded: the configured decay
        c = result.config.training
        low.plot(steps, c.learning_rate * (c.final_learning_rate / c.learning_rate)
                 ** ((steps - 1) / c.train_steps), color="C2", label="learning rate (configured)")
    if "grad_norm" in h:
        low.plot(x, _blocks(np.asarray(h["grad_norm"]), span)[0], color="C3",
                 label="gradient norm" + (f" ({_block_label(span)})" if span > 1 else ""))
    low.set_yscale("log")
    low.set(xlabel="update")
    low.legend(fontsize=8)
    return fig


def _energy_scale(result: Result) -> tuple[float, str, str]:
    """What the dt → 0 plot subtracts from the energies and how it names it: (reference
    value, its name, unit of the differences in thousandths)."""
    milli = "mHa" if result.system.coulomb else "10⁻³ energy units"
    if result.exact_energy is None:
        return result.energy, "E0 (reported)", milli
    exact = result.system.reference_source == "exact" and not result.system.reference_error
    return result.exact_energy, "E_exact" if exact else "E_reference", milli


def extrapolation_figure(result: Result, fig=None) -> plt.Figure:
    """Per-dt energies of both estimators with their error bars, a quadratic through each
    with its ±1σ band (weighted by the per-dt errors as if independent, for the eye; the
    reported dt → 0 value and its error come from the correlated fit, the square markers)
    and the reported E0 with its error band; energies as thousandths above the reference
    (exact where known, else the reported E0) on a plain axis. fig: see `training_figure`."""
    fig = _figure(fig, (6.5, 4.5))
    ax = fig.subplots()
    ref, ref_name, milli = _energy_scale(result)

    def shift(e):
        return (np.asarray(e, float) - ref) * 1e3

    for i, (name, est) in enumerate(sorted(result.estimates.items())):
        dts, e, s = np.asarray(est.dts, float), shift(est.energies), np.asarray(est.errors) * 1e3
        color = f"C{i}"
        ax.errorbar(dts, e, yerr=s, fmt="o", color=color, capsize=3, label=f"{name}, per dt")
        ax.errorbar([0.0], [shift(est.extrapolated)], yerr=[est.extrapolated_error * 1e3],
                    fmt="s", color=color, capsize=3, label=f"{name}, dt → 0")
        if len(dts) > est.fit.order:
            order = est.fit.order
            poly, cov = np.polyfit(dts, e, order, w=1 / np.maximum(s, 1e-300), cov="unscaled")
            grid = np.linspace(0.0, dts.max() * 1.05, 100)
            powers = np.vander(grid, order + 1)
            band = np.sqrt(np.einsum("gi,ij,gj->g", powers, cov, powers))
            ax.plot(grid, powers @ poly, color=color, lw=0.8, alpha=0.7)
            ax.fill_between(grid, powers @ poly - band, powers @ poly + band, color=color,
                            alpha=0.12, lw=0)
    low, high = shift(result.energy - result.energy_error), shift(result.energy +
                                                                  result.energy_error)
    ax.axhspan(low, high, color="C3", alpha=0.15, label="reported E0 ± error")
    if result.exact_energy is not None:
        ax.axhline(0.0, color="k", ls="--", label="reference")
    unit = "Ha" if result.system.coulomb else "energy units"
    ax.set(xlabel="time step dt", ylabel=f"E − {ref_name} ({milli})",
           title=f"{result.system.name}: dt → 0\n{ref_name} = {ref:.6f} {unit}")
    _plain_axis(ax, "both")
    ax.legend(fontsize=7)
    return fig


DENSITY_LABELS = {
    "radial": ("distance from the origin r", "probability density p(r)"),
    "pair": ("pair distance |r_i − r_j|", "probability density"),
    "pair_correlation": ("pair distance |r_i − r_j|", "g(r) (1 = uncorrelated)"),
}
DENSITY_TITLES = {
    "radial": "radial distance r",
    "pair": "pair distance |r_i − r_j|",
    "pair_correlation": "pair correlation g(r)",
}


def axis_name(axis: int, dim: int) -> str:
    """The name of Cartesian axis `axis` (from 0): x, y, z up to three dimensions, else
    "coordinate 1", "coordinate 2", ..."""
    return "xyz"[axis] if dim <= 3 else f"coordinate {axis + 1}"


def density_title(kind: str, dim: int) -> str:
    """The panel title of the stored histogram `kind` ("axis0", "radial", ...)."""
    if kind.startswith("axis"):
        return f"density along {axis_name(int(kind.removeprefix('axis')), dim)}"
    return DENSITY_TITLES.get(kind, kind.replace("_", " "))


def density_grid(panels: int) -> tuple[int, int]:
    """(rows, columns) of the density panels: one column for one panel, two up to four,
    else three (readable when the PNG is shown 1000 px wide)."""
    columns = 1 if panels == 1 else 2 if panels <= 4 else 3
    return -(-panels // columns), columns


PANEL_SIZE = (4.3, 3.4)
"""Inches per density panel."""


def _density_kinds(result: Result) -> list[str]:
    return sorted(k.removesuffix("_edges") for k in result.density if k.endswith("_edges"))


def densities_figure(result: Result, fig=None) -> plt.Figure:
    """Histograms of the samples (each axis, radial, pair distance, g(r) with its error
    band) in a grid, titled by what they show, with axis labels and units, the exact
    densities where known, the nuclei marked on the axis densities; a 2D map of the
    one-body density with its colour bar for two-dimensional systems.
    fig: see `training_figure`."""
    kinds = _density_kinds(result)
    two_d = result.system.dim == 2
    rows, cols = density_grid(len(kinds) + two_d)
    fig = _figure(fig, (PANEL_SIZE[0] * cols, PANEL_SIZE[1] * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(kinds) + two_d:]:
        ax.remove()
    unit = "bohr" if result.system.coulomb else "length units"
    for ax, kind in zip(axes, kinds, strict=False):
        _density_panel(ax, result, kind, unit)
    if two_d:
        _density_map(fig, axes[len(kinds)], result, unit)
    return fig


def _density_panel(ax, result: Result, kind: str, unit: str) -> None:
    """One histogram `kind` of `result.density` on `ax`, with the exact curve if known."""
    exact = result.system.exact_density or {}
    nuclei = np.asarray(result.system.nuclei) if result.system.coulomb else np.zeros((0, 1))
    edges = np.asarray(result.density[f"{kind}_edges"])
    values = np.asarray(result.density.get(f"{kind}_density", result.density.get(kind)))
    shown = values if kind == "pair_correlation" else np.nan_to_num(values)
    # g(r): no bar where it has no estimate, and no drop to 0 at the ends
    ax.stairs(shown, edges, label="samples",
              baseline=None if kind == "pair_correlation" else 0)
    if kind == "pair_correlation":
        ax.axhline(1.0, color="k", ls=":", label="uncorrelated")
        if "pair_correlation_error" in result.density:
            err = np.asarray(result.density["pair_correlation_error"])
            ax.stairs(shown + err, edges, baseline=shown - err, fill=True, alpha=0.3,
                      color="C0", label="± standard error")
    if kind in exact:
        x = np.linspace(edges[0], edges[-1], 400)
        ax.plot(x, exact[kind](x), "k--", label="exact")
    if kind.startswith("axis"):
        axis = int(kind.removeprefix("axis"))
        xlabel = axis_name(axis, result.system.dim)
        ylabel = "probability density" + (" (all particles)" if result.system.particles > 1
                                          else "")
        for k, position in enumerate(nuclei[:, axis] if len(nuclei) else []):
            ax.axvline(position, color="C3", lw=0.8, ls="-.",
                       label="nucleus" if k == 0 else None)
    else:
        xlabel, ylabel = DENSITY_LABELS.get(kind, (kind, "density"))
    ax.set(xlabel=f"{xlabel} ({unit})", ylabel=ylabel,
           title=density_title(kind, result.system.dim))
    ax.legend(fontsize=7)


def _density_map(fig, ax, result: Result, unit: str) -> None:
    """The one-body density of a 2D system (all particles pooled) with a colour bar."""
    xy = np.asarray(result.samples).reshape(-1, 2)
    lim = np.quantile(np.abs(xy), 0.995)
    *_, image = ax.hist2d(xy[:, 0], xy[:, 1], bins=60, range=[[-lim, lim], [-lim, lim]],
                          cmap="viridis", density=True)
    fig.colorbar(image, ax=ax, label=f"probability density (1/{unit}²)")
    ax.set(xlabel=f"x ({unit})", ylabel=f"y ({unit})", title="one-body density",
           aspect="equal")


def report_figure(result: Result) -> plt.Figure:
    """One page per result: the summary line as title, training and the dt → 0
    extrapolation side by side, the densities below in their grid."""
    rows, _ = density_grid(len(_density_kinds(result)) + (result.system.dim == 2))
    fig = plt.figure(figsize=(13.0, 6.5 + PANEL_SIZE[1] * rows), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[6.5, PANEL_SIZE[1] * rows])
    left, right = top.subfigures(1, 2)
    training_figure(result, left)
    extrapolation_figure(result, right)
    densities_figure(result, bottom)
    fig.suptitle(result.summary().splitlines()[0], fontsize=11)
    return fig


FIGURES = {"report": report_figure, "training": training_figure,
           "extrapolation": extrapolation_figure, "density": densities_figure}
"""suffix of the PNG file -> figure function (see `plot_result`)."""


def figure_paths(stem: str | Path) -> list[Path]:
    """The PNGs `plot_result` writes for `stem`: STEM_report.png first, then one per
    other figure."""
    stem = Path(stem)
    return [stem.with_name(f"{stem.name}_{suffix}.png") for suffix in FIGURES]


def plot_result(result: Result, stem: str | Path) -> list[Path]:
    """Write STEM_report.png (everything on one page), STEM_training.png,
    STEM_extrapolation.png and STEM_density.png."""
    out = []
    for path, make in zip(figure_paths(stem), FIGURES.values(), strict=True):
        fig = make(result)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        out.append(path)
    return out
