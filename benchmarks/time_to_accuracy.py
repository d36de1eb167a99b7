"""Time to accuracy: |E − E0| with its error bar against wall time, fkdrift beside NetKet.

For each system, fkdrift runs as a user would (`fkdrift solve ... --target-error X`, a
fresh process per target, so compile and start-up count) for every target of the system
(helium, H2: 1e-3 and 1e-4; bosons: 0.005 and 0.001), and optionally `--time-budget S`
runs; the peer harness (NetKet VMC with an expert ansatz and its better optimizer per
system, evaluated with 262,144 samples, in `../shared/peers/` by default) trains on the
same system at the same time, one CPU thread each, and evaluates snapshots at marks from
5 s to 1200 s. Writes
results/time_to_accuracy.md (table), .png (log-log plot) and .json (all rows).

    python benchmarks/time_to_accuracy.py                          # all three systems
    python benchmarks/time_to_accuracy.py --systems helium --budgets 60,120  # and budgets
    python benchmarks/time_to_accuracy.py --peers none             # fkdrift alone

A run replaces the blocks of the systems it ran and keeps the other systems' blocks from
the existing .json (each block still comes from one run of the script).

The peer side is optional: without the harness (or its venv) fkdrift runs alone. The
side-by-side ratios are the figures that count; absolute seconds are context only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import harness  # noqa: E402

RESULTS = ROOT / "results"
ONE_THREAD = {"JAX_PLATFORMS": "cpu",
              "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}


@dataclass(frozen=True)
class Case:
    """One benchmark system: how to run it on both sides and what counts as reached."""

    cli: tuple[str, ...]  # fkdrift solve arguments naming the system
    peer: str | None  # netket_fewbody.py --system value (None: no peer)
    targets: tuple[float, ...]  # one --target-error run each; each is also a bar
    peer_opt: str = "adam"  # the peer's optimizer on this system (--opt; SR not yet measured)


CASES = {
    "helium": Case(("--potential", "helium"), "helium", (1e-3, 1e-4), "adam"),
    "h2": Case(("--potential", "h2"), None, (1e-3, 1e-4)),
    "bosons": Case(("--potential", "trapped_bosons", "--particles", "3", "-o", "g=16"),
                   "bosons", (0.005, 0.001), "adam"),
}
PEER_EVAL_SAMPLES = 262_144
"""Samples of each peer evaluation (its error bar at the marks)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--systems", default="helium,h2,bosons",
                   help="comma-separated subset of " + ",".join(CASES))
    p.add_argument("--budgets", default="",
                   help="fkdrift --time-budget values, also peer marks (seconds; none by "
                        "default: the --target-error runs are what a user asks for)")
    p.add_argument("--peer-marks", default="5,10,15,20,30,45,60,120,300,600,1200",
                   help="extra peer marks (seconds); the peer also trains on to twice the "
                        "largest budget, so that it loads its core while fkdrift runs")
    p.add_argument("--peers", default=str(ROOT.parent / "shared" / "peers"),
                   help="folder of netket_fewbody.py, or 'none'")
    p.add_argument("--venv", default=os.environ.get("NETKET_VENV",
                                                    str(Path.home() / ".venvs" / "netket")))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", default="/tmp/fkdrift_time_to_accuracy",
                   help="where the runs' HDF5 files and logs go")
    p.add_argument("--out", default=str(RESULTS / "time_to_accuracy"),
                   help="stem of the .md, .png and .json outputs")
    p.add_argument("--no-target", action="store_true", help="skip the --target-error runs")
    p.add_argument("--compile-cache", choices=("cold", "warm", "both"), default="both",
                   help="cold: every fkdrift run starts with an empty compilation cache (a "
                        "first run); warm: each timed run follows an untimed one of the "
                        "same command that fills it (every later run of its kind); both: "
                        "a cold and a warm row per run")
    return p.parse_args(argv)


def peer_command(args, case: Case, work: Path, marks: list[float]) -> list[str] | None:
    """The NetKet harness command, or None when it is not available."""
    script = Path(args.peers) / "netket_fewbody.py"
    python = Path(args.venv) / "bin" / "python"
    if case.peer is None or args.peers == "none" or not script.exists() or not python.exists():
        return None
    return [str(python), str(script), "--system", case.peer, "--seed", str(args.seed),
            "--marks", ",".join(f"{m:g}" for m in marks), "--opt", case.peer_opt,
            "--eval-samples", str(PEER_EVAL_SAMPLES),
            "--json", str(work / f"netket_{case.peer}.jsonl")]


def fkdrift_run(case: Case, flag: str, value: float, out: Path, seed: int,
                cache: str = "cold") -> dict:
    """One `fkdrift solve` in a fresh one-thread process; its energies and wall time.
    cache: "cold" (an empty compilation cache) or "warm" (filled by an untimed run of the
    same command first)."""
    import fkdrift

    cmd = ["fkdrift", "solve", *case.cli, "--seed", str(seed), "--out", str(out), "--force",
           flag, f"{value:g}"]
    cache_dir = out.with_suffix(".jax_cache")
    shutil.rmtree(cache_dir, ignore_errors=True)
    env = {**os.environ, **ONE_THREAD, "FKDRIFT_COMPILE_CACHE": str(cache_dir)}
    if cache == "warm":
        subprocess.run(cmd, env=env, capture_output=True, check=False)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    out.with_suffix(".log").write_text(proc.stdout + proc.stderr)
    if proc.returncode:
        return {"flag": flag, "value": value, "wall_s": wall, "failed": proc.stderr[-300:]}
    r = fkdrift.load(out)
    row = {"flag": flag, "value": value, "wall_s": wall, "compile_cache": cache,
           "E0": r.system.exact_energy,
           "reference_error": r.system.reference_error,
           "train_s": r.info["train_time"], "updates": r.info.get("updates"),
           "train_stop": r.info.get("train_stop_reason"),
           "variational_s": r.info.get("variational_wall_time"),
           "reweighted_s": r.info.get("reweighted_wall_time"),
           "guide_sigma": _guide_sigma(r.history)}
    for name, est in r.estimates.items():
        row[name] = {"E": est.extrapolated, "SE": est.extrapolated_error,
                     "abs_err": abs(est.extrapolated - r.system.exact_energy)}
    return row


def _guide_sigma(history: dict) -> float | None:
    """The guide's local-energy spread σ_L (its variance is σ_L²): the mean training
    spread over the last 50 updates (None for a free drift's path loss)."""
    spread = history.get("energy_spread")
    return float(sum(spread[-50:]) / len(spread[-50:])) if spread is not None and len(
        spread) else None


def run_case(args, name: str, case: Case, work: Path, budgets: list[float]) -> dict:
    extra = [float(x) for x in args.peer_marks.split(",") if x]
    marks = sorted({*extra, *budgets})
    cmd = peer_command(args, case, work, marks)
    peer = None
    if cmd is not None:
        log = open(work / f"netket_{case.peer}.log", "w")  # noqa: SIM115 - closed below
        (work / f"netket_{case.peer}.jsonl").unlink(missing_ok=True)
        peer = subprocess.Popen(cmd, env={**os.environ, **ONE_THREAD}, stdout=log,
                                stderr=subprocess.STDOUT)
    runs = []
    caches = ("cold", "warm") if args.compile_cache == "both" else (args.compile_cache,)
    plan = [] if args.no_target else [("--target-error", t, f"target{t:g}")
                                      for t in case.targets]
    plan += [("--time-budget", b, f"{b:g}s") for b in budgets]
    for flag, value, stem in plan:
        for cache in caches:
            runs.append(fkdrift_run(case, flag, value, work / f"{name}_{stem}_{cache}.h5",
                                    args.seed, cache))
            print(f"  {name} {flag} {value:g} ({cache}): {summary(runs[-1])}", flush=True)
    peer_rows = []
    if peer is not None:
        peer.wait()
        log.close()
        for line in (work / f"netket_{case.peer}.jsonl").read_text().splitlines():
            row = json.loads(line)
            if "E" in row and "mode" not in row:
                peer_rows.append(row)
    return {"case": name, "cli": list(case.cli), "bars": list(case.targets), "fkdrift": runs,
            "netket": peer_rows, "peer_opt": case.peer_opt if cmd else None}


def summary(row: dict) -> str:
    if "failed" in row:
        return f"FAILED after {row['wall_s']:.0f} s: {row['failed']}"
    best = row.get("reweighted", row["variational"])
    return (f"wall {row['wall_s']:.0f} s, E = {best['E']:.6f} ± {best['SE']:.6f} "
            f"(|E - E0| {best['abs_err']:.1e}; training {row['train_s']:.0f} s, "
            f"{row['updates']} updates, {row['train_stop']})")


def reached(error: float, se: float, bar: float) -> bool:
    """Within the bar, with an error bar no larger than the bar that covers the error (3σ)."""
    return error <= bar and se <= bar and error <= 3 * se


def first_times(block: dict, bar: float,
                cache: str | None = None) -> tuple[float | None, float | None]:
    """Wall time of fkdrift's first run (budget or target-error; with `cache`, only the
    runs with that compilation cache) and the peer's first mark that reached `bar`."""
    fk = [r["wall_s"] for r in block["fkdrift"] if "failed" not in r and reached(*_best(r), bar)
          and cache in (None, r.get("compile_cache"))]
    nk = [r["train_time_s"] for r in block["netket"] if reached(r["abs_err"], r["SE"], bar)]
    return (min(fk) if fk else None), (min(nk) if nk else None)


def _best(row: dict) -> tuple[float, float]:
    best = row.get("reweighted", row["variational"])
    return best["abs_err"], best["SE"]


def _fmt(est: dict | None) -> str:
    if not est:
        return ""
    return f"{est['E']:.6f} ± {est['SE']:.6f} ({est['abs_err']:.1e})"


def table(blocks: list[dict], machine: str) -> str:
    lines = ["# Time to accuracy: fkdrift beside NetKet VMC (one CPU thread each)", "",
             f"Machine: {machine}. Written by `benchmarks/time_to_accuracy.py`; every row of",
             "a system comes from one run of the script, both tools side by side on the same",
             "machine at the same time. fkdrift: wall time of the whole `fkdrift solve`",
             "process (start-up, compile, training, both estimators); NetKet: training time",
             f"at the mark (its evaluation of {PEER_EVAL_SAMPLES:,} samples is not counted;",
             "its optimizer per system in the heading). Entries are E ± error bar",
             "(|E − E0|); σ_L: the fkdrift guide's local-energy spread at the end of training",
             "(its variance is σ_L²).", ""]
    for block in blocks:
        opt = f"; NetKet --opt {block['peer_opt']}" if block.get("peer_opt") else ""
        lines += [f"## {block['case']} (`fkdrift solve {' '.join(block['cli'])}`{opt})", "",
                  "| run | fkdrift wall (s) | training (s, updates, stop) | σ_L | fkdrift "
                  "reweighted | fkdrift variational | NetKet mark (s) | NetKet VMC |",
                  "|---|---|---|---|---|---|---|---|"]
        peer = {round(r["mark_s"]): r for r in block["netket"]}
        marks_done = set()
        for r in block["fkdrift"]:
            label = f"{r['flag'].lstrip('-')} {r['value']:g}"
            if r.get("compile_cache"):
                label += f" ({r['compile_cache']} cache)"
            if "failed" in r:
                lines.append(f"| {label} | {r['wall_s']:.0f} | failed | | | | | |")
                continue
            mark = round(r["value"]) if r["flag"] == "--time-budget" else None
            p = peer.get(mark) if mark is not None else None
            if p is not None:
                marks_done.add(mark)
            nk = (f"{p['E']:.6f} ± {p['SE']:.6f} ({p['abs_err']:.1e})" if p else "")
            sigma = f"{r['guide_sigma']:.3f}" if r.get("guide_sigma") else ""
            lines.append(
                f"| {label} | {r['wall_s']:.0f} | {r['train_s']:.0f}, {r['updates']}, "
                f"{r['train_stop']} | {sigma} | {_fmt(r.get('reweighted'))} | "
                f"{_fmt(r.get('variational'))} | {mark if p else ''} | {nk} |")
        for mark, p in sorted(peer.items()):
            if mark not in marks_done:
                lines.append(f"| | | | | | | {mark} | {p['E']:.6f} ± {p['SE']:.6f} "
                             f"({p['abs_err']:.1e}) |")
        lines.append("")
        caches = sorted({r.get("compile_cache") for r in block["fkdrift"]}, key=str)
        for bar in block.get("bars") or [block["bar"]]:
            for cache in caches:
                fk, nk = first_times(block, bar, cache)
                ratio = f"{fk / nk:.1f}" if fk and nk else "n/a"
                peer = (f"NetKet {_secs(nk)} (ratio fkdrift/NetKet {ratio})" if block["netket"]
                        else "NetKet not run (the peer harness has no such system)")
                which = f" ({cache} compilation cache)" if cache else ""
                lines.append(f"First within {bar:g} with a covering error bar ≤ {bar:g}"
                             f"{which}: fkdrift {_secs(fk)}, {peer}.")
        lines.append("")
    return "\n".join(lines) + "\n"


def _secs(t: float | None) -> str:
    return f"{t:.0f} s" if t is not None else "not within the budgets run"


def plot(blocks: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(blocks), figsize=(5 * len(blocks), 4), squeeze=False)
    for ax, block in zip(axes[0], blocks, strict=True):
        for name, marker in (("reweighted", "o"), ("variational", "s")):
            rows = [r for r in block["fkdrift"] if name in r]
            ax.errorbar([r["wall_s"] for r in rows], [r[name]["abs_err"] for r in rows],
                        yerr=[r[name]["SE"] for r in rows], fmt=marker, capsize=3,
                        label=f"fkdrift {name}")
        if block["netket"]:
            rows = block["netket"]
            ax.errorbar([r["train_time_s"] for r in rows], [r["abs_err"] for r in rows],
                        yerr=[r["SE"] for r in rows], fmt="^", capsize=3,
                        label="NetKet VMC (training time)")
        for bar in block.get("bars") or [block["bar"]]:
            ax.axhline(bar, color="grey", ls=":", label=f"bar {bar:g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("wall time (s)")
        ax.set_ylabel("|E − E0| (Ha or ħω)")
        ax.set_title(block["case"])
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    budgets = [float(x) for x in args.budgets.split(",") if x]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    blocks = []
    for name in args.systems.split(","):
        if name not in CASES:
            sys.exit(f"unknown system {name!r}; known: {', '.join(CASES)}")
        print(f"{name}:", flush=True)
        blocks.append(run_case(args, name, CASES[name], work, budgets))
    blocks = merged(blocks, Path(args.out).with_suffix(".json"))
    machine = harness.machine()
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(blocks, indent=1, default=_jsonable))
    out.with_suffix(".md").write_text(table(blocks, machine))
    plot(blocks, out.with_suffix(".png"))
    print(f"wrote {out.with_suffix('.md')}, .png, .json")
    return blocks


def merged(blocks: list[dict], previous: Path) -> list[dict]:
    """`blocks` plus the blocks of other systems kept from `previous`, in CASES order."""
    by_case = {}
    if previous.exists():
        by_case = {b["case"]: b for b in json.loads(previous.read_text())}
    by_case.update({b["case"]: b for b in blocks})
    return [by_case[name] for name in CASES if name in by_case]


def _jsonable(x):
    return None if isinstance(x, float) and not math.isfinite(x) else str(x)


if __name__ == "__main__":
    main()
