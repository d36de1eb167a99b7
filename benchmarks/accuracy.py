"""Accuracy table: run built-in and custom systems with default settings and write
results/README.md (estimate ± error vs exact, deviation in σ and relative, wall time,
machine), the HDF5 files and their plots.

    python benchmarks/accuracy.py                     # the one-particle systems
    python benchmarks/accuracy.py --only helium h2    # others; keeps the other rows
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np

import fkdrift
import potentials
from fkdrift.lowlevel import densities, plot_result

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
import harness  # noqa: E402

RESULTS = Path(__file__).resolve().parent.parent / "results"


def quartic() -> fkdrift.System:
    """V = x⁴ in 1D; E0 = 0.667986259 (finite differences, see tests/test_solver.py)."""
    return fkdrift.System(potential=lambda r: jnp.sum(r**4), name="quartic",
                          exact_energy=0.667986259)


# name -> (system factory, Config overrides). The committed rows were made with the free
# drift and 0.4-time-unit evaluation chunks, before the gradient drift became the default
# (benchmarks/README.md); FREE keeps those settings so that a rerun remakes them.
FREE = {"drift_form": "free", "chunk_time": 0.4}
BOSONS_LONG = {**FREE, "train_steps": 1000, "eval_walkers": 1024, "reweighted_time": 40.0}
SYSTEMS: dict[str, tuple] = {
    "harmonic": (lambda: potentials.harmonic(dim=1), FREE),
    "harmonic3d": (lambda: potentials.harmonic(dim=3, omegas=[1.0, 1.5, 2.0]), FREE),
    "quartic": (quartic, FREE),
    "hydrogen": (potentials.hydrogen, FREE),
    # dt 0.01 trains faster to an honest E0 but leaves the drift's variational bound at
    # +1.2 mHa after 8000 updates; the finer step gives +0.8 (benchmarks/README.md)
    "helium": (potentials.helium, {**FREE, "train_steps": 4000, "dt": 0.0025, "window": 640}),
    "h2": (potentials.h2, {**FREE, "train_steps": 12000}),
    "h2_R2.8": (lambda: potentials.h2(R=2.8), {**FREE, "train_steps": 8000}),
    "bosons_N2_g3": (lambda: potentials.trapped_bosons(2, g=3.0), FREE),
    "bosons_N2_g16": (lambda: potentials.trapped_bosons(2, g=16.0), FREE),
    "bosons_N3_g3": (lambda: potentials.trapped_bosons(3, g=3.0), BOSONS_LONG),
    "bosons_N3_g16": (lambda: potentials.trapped_bosons(3, g=16.0), BOSONS_LONG),
    "bosons_N4_g3": (lambda: potentials.trapped_bosons(4, g=3.0), BOSONS_LONG),
    "bosons_N4_g16": (lambda: potentials.trapped_bosons(4, g=16.0), BOSONS_LONG),
}
DEFAULT = ("harmonic", "harmonic3d", "quartic", "hydrogen")
FOOTER = [
    "",
    "Notes:",
    "- `settings` lists the `Config` fields changed from the defaults for that row.",
    "- `reference` is the value attached to the system (`System.exact_energy`, with",
    "  `reference_error`): exact where known (harmonic, hydrogen, helium, H2 at R = 1.4011",
    "  bohr, and at 2.8 bohr from Wolniewicz 1993, where the drift paper reported -1.068",
    "  against its reference -1.0710; N = 2 bosons from the relative-motion equation), and",
    "  for N = 3, 4 bosons the",
    "  independent Jastrow-guided DMC of results/bosons_dmc/ (the exact-diagonalisation",
    "  table of Mujal et al. lies 0.003-0.028 above it). `dev (σ)` combines both errors.",
    "- The variational column is the dt → 0 upper bound of the learned drift; the reported",
    "  energy is the reweighted one, which removes the drift's variational bias. Both are",
    "  quadratic dt → 0 fits through four steps (docs/error-bars.md).",
    "- Rows marked `reestimated` kept their committed drift and ran the current estimators",
    "  again (`python benchmarks/accuracy.py --reestimate --only NAME`); `solve s` is then",
    "  the original training time plus the new evaluation time.",
    "- Samples (`samples` in each file) come from the finest variational chain: their",
    "  density is as good as the drift (tests/test_density.py checks the KS distance).",
]


def changed_settings(result: fkdrift.Result) -> dict:
    """Config fields of `result` that differ from the defaults for its system."""
    defaults = fkdrift.Config().for_system(result.system).to_dict()
    return {k: v for k, v in result.config.to_dict().items() if v != defaults[k]}


def row(name: str, result: fkdrift.Result) -> str:
    exact = result.exact_energy
    changed = ", ".join(f"{k}={v}" for k, v in changed_settings(result).items()) or "defaults"
    if "reestimated_seed" in result.info:
        changed += "; reestimated"
    reference = f"{exact:.6f}"
    if result.system.reference_error:
        reference += f" ± {result.system.reference_error:.6f}"
    return harness.row([
        name, *harness.estimate_cells(result), reference,
        *harness.deviation_cells(result, exact), f"{result.info['wall_time']:.0f}",
        changed])


def write_table(seed: int) -> None:
    """results/README.md from every result file of SYSTEMS present (so runs of different
    --only sets, even concurrent ones, end with one complete table)."""
    results = harness.stored_results(RESULTS, SYSTEMS)
    header = [
        "# fkdrift accuracy table",
        "",
        f"`fkdrift.Config()` (defaults unless `settings` says otherwise), seed {seed}, "
        f"on {harness.machine()}; written by "
        "`python benchmarks/accuracy.py`. `energy` is the reweighted (drift-guided DMC) "
        "estimate extrapolated to dt → 0; the variational column is the dt → 0 upper bound "
        "of the same drift. Deviations are of `energy` from the reference; `solve s` is "
        "the training and evaluation time of the run (on a CPU shared with other jobs it "
        "is an upper bound).",
        "",
        "| system | energy ± error | variational ± error | reference | dev (σ) | dev (rel) | "
        "solve s | settings |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = [row(name, result) for name, result in results.items()]
    harness.write_table(RESULTS / "README.md", header, rows, FOOTER)


def replot(name: str) -> None:
    """Densities of results/NAME.h5 recomputed from its stored samples, saved, and its
    plots redrawn (for files written before a change to the histograms)."""
    result = fkdrift.load(RESULTS / f"{name}.h5")
    fresh = densities(result.samples, result.config.density_bins)
    if fresh.keys() != result.density.keys() or not all(
            np.array_equal(fresh[k], result.density[k], equal_nan=True) for k in fresh):
        result.density = fresh
        result.save(RESULTS / f"{name}.h5")  # only when they changed (no binary churn)
    plot_result(result, RESULTS / name)


def main() -> None:
    parser = harness.catalogue_parser(__doc__.splitlines()[0], SYSTEMS, "results/README.md")
    parser.add_argument("--reestimate", action="store_true",
                        help="keep each stored drift and run only the estimators again "
                             "(fkdrift.reestimate, seed + 1), e.g. after they changed")
    parser.add_argument("--replot", action="store_true",
                        help="recompute each stored file's densities from its samples "
                             "(current binning rules) and redraw its plots; no estimate "
                             "changes")
    parser.add_argument("--set", dest="settings", nargs="*", default=[], metavar="KEY=VALUE",
                        help="with --reestimate: Config fields changed for the new estimates")
    args = parser.parse_args()
    changes = {k: float(v) if "." in v else int(v)
               for k, _, v in (item.partition("=") for item in args.settings)}
    if args.only is None:
        args.only = list(DEFAULT)

    def run(name: str) -> str:
        factory, settings = SYSTEMS[name]
        if args.replot:
            replot(name)
            return f"{name}: replotted"
        if args.reestimate:
            stored = fkdrift.load(RESULTS / f"{name}.h5")
            stored.system = factory()  # the current reference values
            result = fkdrift.reestimate(stored, seed=args.seed + 1, **changes)
            result.save(RESULTS / f"{name}.h5")
            plot_result(result, RESULTS / name)
        else:
            result = harness.solve_and_save(factory(), args.seed, RESULTS / name,
                                            fkdrift.Config(**settings))
        return row(name, result)

    harness.run_catalogue(SYSTEMS, args, run, lambda: write_table(args.seed))


if __name__ == "__main__":
    main()
