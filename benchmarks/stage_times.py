"""Where the wall time of one `fkdrift.solve` goes, stage by stage.

Wraps the solver's stage functions (training, the walker checks with the no-bound-state
probe, the variational stage and its burn-in, the reweighted stage) with a clock and
prints, for each call, when it started (seconds since the script began, import
included) and how long it took. One CPU thread, like `time_to_accuracy.py`:

    python benchmarks/stage_times.py --potential helium --target-error 1e-3
    python benchmarks/stage_times.py --potential harmonic --time-budget 20

With a filled compilation cache (`--compile-cache DIR`, run twice) the compilations
drop out of the stages that own them.
"""

from __future__ import annotations

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS",
                      "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import functools  # noqa: E402
import time  # noqa: E402

START = time.perf_counter()

STAGES = {"fkdrift._solver": ("_train", "check_walkers", "evaluate", "reweighted_energy"),
          "fkdrift._evaluation": ("burn_in",)}


def clocked(module, name: str, rows: list[tuple[str, float, float]]):
    """Replace module.name by a wrapper that appends (name, start, seconds) to rows;
    returns the function replaced."""
    inner = getattr(module, name)

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            rows.append((name, t - START, time.perf_counter() - t))

    setattr(module, name, wrapper)
    return inner


def main(argv: list[str] | None = None) -> list[tuple[str, float, float]]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--potential", default="helium")
    p.add_argument("--target-error", type=float, default=0.0)
    p.add_argument("--time-budget", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--compile-cache", default=None,
                   help="a directory for the compilation cache, as FKDRIFT_COMPILE_CACHE")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a Config setting (numbers only)")
    args = p.parse_args(argv)
    import importlib

    import fkdrift
    from fkdrift.lowlevel import use_compile_cache

    use_compile_cache(args.compile_cache or "off")  # as the command line does

    imported = time.perf_counter() - START
    rows: list[tuple[str, float, float]] = [("import", 0.0, imported)]
    originals = [(module, name, clocked(module, name, rows))
                 for module in map(importlib.import_module, STAGES)
                 for name in STAGES[module.__name__]]
    settings = {k: float(v) if "." in v or "e" in v else int(v)
                for k, v in (s.split("=", 1) for s in args.set)}
    config = fkdrift.Config(target_error=args.target_error, time_budget=args.time_budget,
                            **settings)
    try:
        result = fkdrift.solve(args.potential, seed=args.seed, config=config)
    finally:
        for module, name, inner in originals:
            setattr(module, name, inner)
    total = time.perf_counter() - START
    for name, start, seconds in rows:
        print(f"{name:20s} from {start:7.2f} s  took {seconds:7.2f} s")
    print(f"total {total:.2f} s; E = {result.energy:.6f} ± {result.energy_error:.6f}; "
          f"{result.info.get('updates')} updates; info wall_time "
          f"{result.info['wall_time']:.2f} s")
    return rows


if __name__ == "__main__":
    main()
