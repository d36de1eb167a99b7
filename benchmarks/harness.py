"""The benchmark scripts' shared harness: the machine line, timing, the catalogue loop
(`--only`, `--seed`, `--table-only`) and markdown tables rebuilt from the stored result
files (so runs of different --only sets, even concurrent ones, end with one complete
table).

The scripts' own timing and machine description go into `Result.info` before the file is
saved (`record_run`), so a row needs nothing but its file and the script's catalogue.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import jax
import numpy as np

import fkdrift

SECONDS = "benchmark_seconds"
"""`Result.info` key: seconds the script measured around `fkdrift.solve`."""
MACHINE = "benchmark_machine"
"""`Result.info` key: the script's description of the machine (and its load)."""


def machine(load_before: float | None = None) -> str:
    """CPU model, core count, JAX backend and device count, and the 1-minute load average
    (before → now when `load_before` is given): the CPU may be shared."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        model = names[0] if names else model
    load = ""
    if hasattr(os, "getloadavg"):
        now = os.getloadavg()[0]
        load = (f"; load {load_before:.1f}→{now:.1f}" if load_before is not None
                else f"; load {now:.1f}")
    return (f"{model}, {os.cpu_count()} cores, {jax.devices()[0].platform} "
            f"×{len(jax.devices())}{load}")


def time_updates(step: Callable, state, repeats: int):
    """Wall seconds for `repeats` consecutive `state, metrics = step(state)` updates
    (dispatch to completion), and the final state."""
    jax.block_until_ready(state)
    start = time.perf_counter()
    for _ in range(repeats):
        state, metrics = step(state)
    jax.block_until_ready((state, metrics))
    return time.perf_counter() - start, state


def solve_and_save(system: fkdrift.System, seed: int, out: Path,
                   config: fkdrift.Config | None = None) -> fkdrift.Result:
    """`fkdrift.solve` timed from outside, with the wall time and machine recorded in the
    result (`record_run`); saved to out (.h5) with its plots beside it."""
    from fkdrift.lowlevel import plot_result

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    start = time.perf_counter()
    result = fkdrift.solve(system, seed=seed, config=config)
    record_run(result, time.perf_counter() - start, machine(load))
    result.save(out.with_suffix(".h5"))
    plot_result(result, out)
    return result


def catalogue_parser(description: str, names: Iterable[str], table: str
                     ) -> argparse.ArgumentParser:
    """The arguments every catalogue script takes: --only NAME..., --seed, --table-only."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--only", nargs="*", choices=sorted(names), default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--table-only", action="store_true",
                        help=f"only rebuild {table} from the stored files")
    return parser


def run_catalogue(names: Sequence[str], args: argparse.Namespace,
                  run: Callable[[str], str], write: Callable[[], None]) -> None:
    """Run each selected name (`run` returns its table row, printed), rewriting the table
    after each, so an interrupted sweep still leaves a complete table of what ran."""
    for name in [] if args.table_only else args.only or list(names):
        print(run(name), flush=True)
        write()
    write()


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
