"""Markdown result tables of the benchmark scripts, rebuilt from their stored result files
(so runs of different --only sets, even concurrent ones, end with one complete table).

The scripts' own timing and machine description go into `Result.info` before the file is
saved (`record_run`), so a row needs nothing but its file and the script's catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

import fkdrift

SECONDS = "benchmark_seconds"
"""`Result.info` key: seconds the script measured around `fkdrift.solve`."""
MACHINE = "benchmark_machine"
"""`Result.info` key: the script's description of the machine (and its load)."""


def record_run(result: fkdrift.Result, seconds: float, machine: str) -> None:
    """Keep the script's wall time and machine description in `result.info` (saved with
    the result), for the table's `wall s` and `machine` columns."""
    result.info[SECONDS] = seconds
    result.info[MACHINE] = machine


def stored_results(folder: Path, names: Iterable[str]) -> dict[str, fkdrift.Result]:
    """folder/NAME.h5 loaded for each name that has a file, in the order of `names`."""
    return {name: fkdrift.load(folder / f"{name}.h5") for name in names
            if (folder / f"{name}.h5").exists()}


def seeds(results: Iterable[fkdrift.Result]) -> str:
    """'seed 0', or 'seeds 0, 1' when the results were run with different seeds."""
    values = sorted({int(result.info["seed"]) for result in results})
    if not values:
        return "no runs yet"
    return f"seed{'s' if len(values) > 1 else ''} {', '.join(map(str, values))}"


def estimate_cells(result: fkdrift.Result) -> list[str]:
    """`energy ± error` and `variational ± error` (the dt → 0 upper bound)."""
    var = result.estimates["variational"]
    return [f"{result.energy:.6f} ± {result.energy_error:.6f}",
            f"{var.extrapolated:.6f} ± {var.extrapolated_error:.6f}"]


def deviation_cells(result: fkdrift.Result, exact: float) -> list[str]:
    """`dev (σ)` and `dev (rel)` of the energy from `exact` (σ combines the error bar with
    the reference's own when `exact` is the system's attached reference)."""
    dev = result.energy - exact
    sigma = result.energy_error
    if exact == result.exact_energy:
        sigma = float(np.hypot(sigma, result.system.reference_error))
    return [f"{dev / sigma:+.2f}", f"{dev / abs(exact):+.1e}"]


def run_cells(result: fkdrift.Result) -> list[str]:
    """`wall s` and `machine` as recorded by `record_run` (for a file written without them:
    fkdrift's own training + evaluation time and device)."""
    info = result.info
    seconds = info.get(SECONDS, info["wall_time"])
    machine = info.get(MACHINE, str(info["device"]).split(":")[0])
    return [f"{seconds:.0f}", machine]


def row(cells: Iterable[str]) -> str:
    """One markdown table row."""
    return "| " + " | ".join(cells) + " |"


def write_table(path: Path, header: Sequence[str], rows: Sequence[str],
                footer: Sequence[str]) -> None:
    """The markdown file `path`: header lines, rows, footer lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*header, *rows, *footer]) + "\n")
