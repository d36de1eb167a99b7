"""PNG plots of a saved result (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .result import Result  # noqa: E402


def plot_training(result: Result, path: Path) -> None:
    """Training energy per update, with the exact E0 when known."""
    fig, ax = plt.subplots(figsize=(6, 4))
    h = result.history
    ax.plot(h["step"], h["energy"], lw=0.5, alpha=0.35, color="C0",
            label="training energy ⟨ℓ_T⟩/T")
    span = max(1, len(h["energy"]) // 40)
    finite = np.where(np.isfinite(h["energy"]), h["energy"], np.nanmean(h["energy"]))
    smooth = np.convolve(finite, np.ones(span) / span, mode="valid")
    ax.plot(h["step"][span - 1:], smooth, color="C0", lw=1.5, label=f"mean of {span} updates")
    if result.exact_energy is not None:
        ax.axhline(result.exact_energy, color="k", ls="--", label="exact")
        spread = np.quantile(np.abs(h["energy"] - result.exact_energy), 0.8)
        ax.set_ylim(result.exact_energy - spread, result.exact_energy + 3 * spread)
    ax.set(xlabel="update", ylabel="energy", title=f"{result.system.name}: training")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_extrapolation(result: Result, path: Path) -> None:
    """Per-dt variational energies with error bars and the dt → 0 estimate."""
    var = result.estimates["variational"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(var["dts"], var["energies"], yerr=var["errors"], fmt="o", label="per dt")
    ax.errorbar([0.0], [var["extrapolated"]], yerr=[var["extrapolated_error"]], fmt="s",
                color="C3", label=f"dt → 0 (order {int(var['order'])})")
    if result.exact_energy is not None:
        ax.axhline(result.exact_energy, color="k", ls="--", label="exact")
    ax.set(xlabel="dt", ylabel="variational energy", title=f"{result.system.name}: dt → 0")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_densities(result: Result, path: Path) -> None:
    """Histograms of the samples beside the exact densities where known."""
    kinds = sorted(k.removesuffix("_edges") for k in result.density if k.endswith("_edges"))
    fig, axes = plt.subplots(1, len(kinds), figsize=(4 * len(kinds), 3.5), squeeze=False)
    exact = result.system.exact_density or {}
    for ax, kind in zip(axes[0], kinds, strict=True):
        edges = np.asarray(result.density[f"{kind}_edges"])
        values = np.asarray(result.density.get(f"{kind}_density", result.density.get(kind)))
        ax.stairs(np.nan_to_num(values), edges, label="samples")
        if kind == "pair_correlation":
            ax.axhline(1.0, color="k", ls=":", label="uncorrelated")
        if kind in exact:
            x = np.linspace(edges[0], edges[-1], 400)
            ax.plot(x, exact[kind](x), "k--", label="exact")
        ax.set(xlabel=kind, title=kind)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_result(result: Result, stem: str | Path) -> list[Path]:
    """Write STEM_training.png, STEM_extrapolation.png and STEM_density.png."""
    stem = Path(stem)
    out = []
    for suffix, fn in (("training", plot_training), ("extrapolation", plot_extrapolation),
                       ("density", plot_densities)):
        path = stem.with_name(f"{stem.name}_{suffix}.png")
        fn(result, path)
        out.append(path)
    return out
