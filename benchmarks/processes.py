"""Two processes against one: where the time of a training update and of an evaluation
chunk goes.

    python benchmarks/processes.py [--systems harmonic helium] [--updates 300]
                                   [--json results/processes.json] [--cli]

Compares, on this machine and with the same total walkers,
- one process whose XLA uses every core (one CPU device, several threads), and
- two processes on 127.0.0.1 (`jax.distributed`, one CPU device and one XLA thread each),
  whose walkers split over the two devices and whose compiled steps all-reduce across
  them.

Each worker builds the default guide, training step and evaluation chunk of a system as
`fkdrift.solve` does, and times (compile excluded, medians, process 0's figures):
- `step`: the compiled training update alone (dispatch to completion; the devices'
  reductions are inside it);
- `loop`: an update of `fkdrift.solve` itself with a checkpoint (learning-rate schedule,
  metrics to the host, checkpoint keeper, agreement points), from its history's clock,
  so `loop − step` is the host's share;
- `agree`: one agreement (process 0's clock and the interrupt marks gathered through the
  host), the collective that a run of several processes pays at each agreement point;
- `chunk`: one evaluation chunk of the variational stage (its accumulators reduced
  across the processes on the device).

`--cli` also times the whole default `fkdrift solve --potential harmonic` in one process
and in two (the target: less than twice the one-process time).
Run it on an otherwise idle machine: collectives through the host suffer most from load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FKDRIFT = ([shutil.which("fkdrift")] if shutil.which("fkdrift")
           else [sys.executable, "-c", "from fkdrift._cli import main; main()"])
ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(args: argparse.Namespace) -> None:
    """One process of a measurement: prints one JSON line per system (process 0)."""
    import fkdrift

    if args.processes > 1:
        fkdrift.initialize_distributed(f"127.0.0.1:{args.port}", args.processes,
                                       args.process_id)
    rows = [measure(name, args.updates, args.chunks) for name in args.systems]
    if fkdrift.is_main_process():
        for row in rows:
            print(json.dumps(row), flush=True)


def measure(name: str, updates: int, chunks: int) -> dict:
    """Median milliseconds per training update (compiled step; an update of `solve`'s
    loop), per agreement and per evaluation chunk of `name`'s default run."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    import fkdrift
    from fkdrift.lowlevel import (
        TrainState,
        agree,
        init_walkers,
        make_evaluation_chunk,
        make_guide,
        make_guided_dmc_chunk,
        make_optimizer,
        place_replicated,
        shard_walkers,
        walker_mesh,
    )

    system = fkdrift.registry.build(name)
    config = fkdrift.Config().for_system(system)
    mesh = walker_mesh()
    guide = make_guide(system, config.network, config.drift_form)
    params = guide.init(jax.random.PRNGKey(0), system)
    optimizer = make_optimizer(config.learning_rate, config.grad_clip)
    step = guide.train_step(system.potential, optimizer, dt=config.dt, window=config.window,
                            moves=config.train_moves, mesh=mesh)
    walkers = shard_walkers(init_walkers(jax.random.PRNGKey(1), config.batch, system.shape,
                                         config.init_width), mesh)
    state = place_replicated(TrainState(params, optimizer.init(params), None,
                                        jax.random.PRNGKey(2), jnp.zeros((), int)), mesh)
    state = state._replace(walkers=walkers)
    step_ms = _median_ms(lambda s: step(s)[0], state, updates)

    def agreement(count: int) -> int:
        agree()
        return count + 1

    agree_ms = _median_ms(agreement, 0, 50)

    # an update as `solve` runs it: schedule, metrics to the host, the checkpoint keeper,
    # agreement points; from the history's clock, past the first third (recompilation)
    with tempfile.TemporaryDirectory() as folder:
        short = fkdrift.Config(train_steps=updates, eval_time=1.0, estimator="variational")
        result = fkdrift.solve(system, config=short, checkpoint=Path(folder) / "run.ckpt")
    loop_ms = 1e3 * float(np.median(np.diff(result.history["wall_time"][updates // 3:])))

    if guide.gradient and config.reweighted_moves == "metropolis":
        dts = config.reweighted_dts
        chunk = make_guided_dmc_chunk(guide.log_psi, system.potential, dts, config.chunk_time)
    else:
        dts = config.eval_dts
        chunk = make_evaluation_chunk(guide.model, system.potential, dts, config.chunk_time)
    start = init_walkers(jax.random.PRNGKey(3), config.eval_walkers, system.shape,
                         config.init_width)
    chains = shard_walkers(jnp.broadcast_to(start, (len(dts), *start.shape)), mesh, axis=1)
    key = jax.random.PRNGKey(4)

    def advance(carry):
        walkers, i = carry
        return chunk(state.params, walkers, jax.random.fold_in(key, i))[0], i + 1

    chunk_ms = _median_ms(advance, (chains, 0), chunks)
    return {"system": name, "processes": jax.process_count(), "devices": jax.device_count(),
            "batch": config.batch, "eval_walkers": config.eval_walkers, "step_ms": step_ms,
            "loop_ms": loop_ms, "agree_ms": agree_ms, "chunk_ms": chunk_ms}


def _median_ms(advance, state, repeats: int) -> float:
    """Median milliseconds of `state = advance(state)` (dispatch to completion), after
    three untimed calls (compilation)."""
    import jax
    import numpy as np

    for _ in range(3):
        state = jax.block_until_ready(advance(state))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        state = jax.block_until_ready(advance(state))
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def launch(processes: int, args: argparse.Namespace) -> list[dict]:
    """Run the workers (`processes` of them) and return process 0's rows."""
    env = dict(os.environ)
    if processes > 1:
        env["XLA_FLAGS"] = ONE_THREAD
    port = free_port()
    base = [sys.executable, __file__, "--worker", "--processes", str(processes),
            "--port", str(port), "--updates", str(args.updates), "--chunks",
            str(args.chunks), "--systems", *args.systems]
    procs = [subprocess.Popen([*base, "--process-id", str(i)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(processes)]
    outs = [p.communicate(timeout=3600) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        if p.returncode:
            raise SystemExit(f"worker failed ({p.returncode}): {err[-2000:]}")
    return [json.loads(line) for line in outs[0][0].splitlines() if line.startswith("{")]


def cli_run(processes: int, folder: Path) -> dict:
    """The default `fkdrift solve --potential harmonic` in `processes` processes: its wall
    seconds, energy, error bar, process count and the files it wrote."""
    import fkdrift

    env = dict(os.environ)
    if processes > 1:
        env["XLA_FLAGS"] = ONE_THREAD
    port = free_port()
    extra = [] if processes == 1 else ["--distributed", "--coordinator", f"127.0.0.1:{port}",
                                       "--num-processes", str(processes)]
    out = folder / f"harmonic_{processes}.h5"
    t = time.perf_counter()
    procs = [subprocess.Popen(
        [*FKDRIFT, "solve", "--potential", "harmonic", "--out",
         str(out), *extra, *([] if processes == 1 else ["--process-id", str(i)])],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(processes)]
    outs = [p.communicate(timeout=3600) for p in procs]
    seconds = time.perf_counter() - t
    for p, (_, err) in zip(procs, outs, strict=True):
        if p.returncode:
            raise SystemExit(f"fkdrift solve failed ({p.returncode}): {err[-2000:]}")
    result = fkdrift.load(out)
    return {"seconds": seconds, "energy": result.energy, "error": result.energy_error,
            "process_count": result.info["process_count"],
            "files": sorted(p.name for p in folder.iterdir()
                            if p.name.startswith(f"harmonic_{processes}"))}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", nargs="*", default=["harmonic", "helium"],
                        help="systems whose update and chunk to time (none: --cli alone)")
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--chunks", type=int, default=50)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--cli", action="store_true",
                        help="also time the default harmonic solve in one and two processes")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--process-id", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return {}
    load = os.getloadavg()[0]
    record = {"load_before": load, "cpus": os.cpu_count(), "rows": []}
    one, two = (launch(1, args), launch(2, args)) if args.systems else ([], [])
    for a, b in zip(one, two, strict=True):
        ratio = {k: b[k] / a[k] for k in ("step_ms", "loop_ms", "chunk_ms")}
        record["rows"].append({"system": a["system"], "one": a, "two": b, "ratio": ratio})
        print(f"{a['system']:>9}: update {a['loop_ms']:.2f} → {b['loop_ms']:.2f} ms "
              f"(×{ratio['loop_ms']:.2f}; compiled step {a['step_ms']:.2f} → "
              f"{b['step_ms']:.2f}, agreement {b['agree_ms']:.2f} ms); chunk "
              f"{a['chunk_ms']:.1f} → {b['chunk_ms']:.1f} ms (×{ratio['chunk_ms']:.2f})",
              flush=True)
    if args.cli:
        with tempfile.TemporaryDirectory() as folder:
            solo, pair = cli_run(1, Path(folder)), cli_run(2, Path(folder))
        ratio = pair["seconds"] / solo["seconds"]
        record["cli_harmonic"] = {"one": solo, "two": pair, "ratio": ratio}
        print(f"fkdrift solve --potential harmonic: {solo['seconds']:.1f} s in one process "
              f"(E0 = {solo['energy']:.6f} ± {solo['error']:.6f}), {pair['seconds']:.1f} s "
              f"in two (E0 = {pair['energy']:.6f} ± {pair['error']:.6f}, files "
              f"{pair['files']}): ×{ratio:.2f}", flush=True)
    record["load_after"] = os.getloadavg()[0]
    if args.json:
        args.json.write_text(json.dumps(record, indent=1) + "\n")
    return record


if __name__ == "__main__":
    main()
