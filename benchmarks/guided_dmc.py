"""The reweighted stage of a log ψ guide: Metropolis-adjusted moves against Euler chains.

    python benchmarks/guided_dmc.py --result /tmp/he.h5 [--time 40] [--walkers 512]
    python benchmarks/guided_dmc.py --system helium --train-steps 2000   # trains a guide first
    python benchmarks/guided_dmc.py --result he.h5 --dts 0.04 0.02 0.01 --dts 0.08 0.04 0.02

Runs the reweighted populations of one trained gradient drift twice, each for the same
measured time from the same walkers: with the unadjusted Euler–Maruyama chunk at the
variational steps (`reweighted_moves = "euler"`, quadratic dt → 0 fit) and with
Metropolis-adjusted Langevin moves at `reweighted_dts` (`"metropolis"`, linear fit).
Prints the per-dt energies, the dt → 0 value and bar against the exact energy, the wall
time of each (compilation apart) and the cost of a squared error bar, error² × seconds:
the lower, the less time a run needs to a given bar. Run it on an idle machine; the
ratio is what carries over.
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp

import fkdrift
from fkdrift.lowlevel import (
    TrialFunction,
    make_drift_model,
    make_evaluation_chunk,
    make_guided_dmc_chunk,
    reweighted_energy,
    trial_log_psi,
)


def guide(args: argparse.Namespace) -> fkdrift.Result:
    """The trained gradient drift: loaded from --result, or trained on --system."""
    if args.result:
        return fkdrift.load(args.result)
    config = fkdrift.Config(train_steps=args.train_steps, estimator="variational",
                            eval_time=4.0)
    return fkdrift.solve(args.system, seed=args.seed, config=config)


def run(result: fkdrift.Result, moves: str, walkers: int, measured: float,
        dts: tuple[float, ...] | None = None) -> dict:
    """One reweighted stage of `result`'s guide with `moves` (Metropolis steps `dts`,
    default the preset); its figures as a dict."""
    config = result.config.replace(reweighted_moves=moves, reweighted_time=measured,
                                   reweighted_dts=dts).for_system(result.system)
    model = make_drift_model(result.system, result.config.network, result.config.drift_form)
    params = jax.tree_util.tree_map(jnp.asarray, result.params)
    log_psi = trial_log_psi(model)
    if log_psi is None:
        raise SystemExit("the guide is a free drift: it has no log ψ to move by")
    if moves == "metropolis":
        dts, order = config.reweighted_dts, 1
        chunk = make_guided_dmc_chunk(log_psi, result.system.potential, dts,
                                      config.resample_interval)
    else:
        dts, order = config.eval_dts, None
        chunk = make_evaluation_chunk(model, result.system.potential, dts,
                                      config.resample_interval)
    start = jnp.asarray(result.samples[:walkers])
    start = jnp.broadcast_to(start, (len(dts), *start.shape))
    chunk(params, start, jax.random.PRNGKey(0))[0].block_until_ready()  # compile
    began = time.perf_counter()
    rw = reweighted_energy(chunk, params, start, jax.random.PRNGKey(1),
                           TrialFunction(log_psi, params), dts=dts,
                           burn_in_time=config.burn_in_time, config=config.reweighting,
                           stopping=config.stopping, order=order)
    seconds = time.perf_counter() - began
    x = rw.extrapolation
    return {"moves": moves, "dts": list(map(float, dts)),
            "energies": rw.energies.tolist(), "errors": rw.errors.tolist(),
            "energy": x.energy, "error": x.error, "p_value": x.p_value,
            "log_weight_std": rw.log_weight_std.tolist(), "seconds": seconds,
            "cost": x.error**2 * seconds}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--result", help="a result file with a gradient drift")
    parser.add_argument("--system", default="helium")
    parser.add_argument("--train-steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--walkers", type=int, default=512)
    parser.add_argument("--time", type=float, default=40.0, help="measured time per stage")
    parser.add_argument("--dts", nargs="+", type=float, action="append",
                        help="Metropolis steps (repeatable: one row per set) [preset]")
    parser.add_argument("--json", help="write the rows here")
    args = parser.parse_args(argv)
    result = guide(args)
    exact = result.system.exact_energy
    rows = [run(result, "euler", args.walkers, args.time)]
    rows += [run(result, "metropolis", args.walkers, args.time, tuple(d) if d else None)
             for d in (args.dts or [None])]
    for row in rows:
        per_dt = ", ".join(f"{d:g}: {e:.6f} ± {s:.6f}" for d, e, s in
                           zip(row["dts"], row["energies"], row["errors"], strict=True))
        off = "" if exact is None else f" ({row['energy'] - exact:+.6f} from exact)"
        print(f"{row['moves']:>10}: {row['energy']:.6f} ± {row['error']:.6f}{off} in "
              f"{row['seconds']:.1f} s, error²·s {row['cost']:.3g}; per dt {per_dt}")
    for row in rows[1:]:
        print(f"cost ratio euler / metropolis {row['dts']}: "
              f"{rows[0]['cost'] / row['cost']:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"system": result.system.name, "exact": exact, "rows": rows}, f,
                      indent=1)
    return rows


if __name__ == "__main__":
    main()
