"""Host <-> device traffic of the two evaluation stages, in bytes per unit of simulated time.

    python benchmarks/transfers.py [--walkers 512] [--time 4]

Runs the variational evaluation and the reweighted stage of a harmonic well in 3D with an
untrained free drift (its boundary function fitted in the variational stage, as `solve`
does) through `fkdrift.lowlevel`, and counts what crosses between device arrays and the
host:

- device -> host: every device array handed to NumPy's converters (`asarray`, `array`,
  `stack`, `concatenate`) or fetched with `jax.device_get` while a stage runs;
- host -> device: every NumPy array passed to the compiled evaluation chunk or to
  `jax.numpy.asarray`.

On a CPU backend these conversions cost little (the memory is shared); on an accelerator
each one is a copy over the bus and a synchronisation. To measure an older checkout, run
this script with PYTHONPATH pointing at it. No timings: the figures are exact counts.
"""

from __future__ import annotations

import argparse
import contextlib

import jax
import jax.numpy as jnp
import numpy as np

import fkdrift
import potentials
from fkdrift.lowlevel import (
    evaluate,
    init_drift_params,
    make_drift_model,
    make_evaluation_chunk,
    reweighted_energy,
)

CONVERTERS = ("asarray", "array", "stack", "concatenate")


class Traffic:
    """Byte counters: down (device -> host) and up (host -> device), and the largest
    single array seen going down."""

    def __init__(self) -> None:
        self.down = self.up = self.largest_down = 0

    def saw_down(self, tree) -> None:
        for x in jax.tree_util.tree_leaves(tree):
            if isinstance(x, jax.Array):
                self.down += x.nbytes
                self.largest_down = max(self.largest_down, x.nbytes)

    def saw_up(self, tree) -> None:
        self.up += sum(x.nbytes for x in jax.tree_util.tree_leaves(tree)
                       if isinstance(x, np.ndarray))


@contextlib.contextmanager
def counting(traffic: Traffic):
    """Count conversions of device arrays by NumPy and `jax.device_get` in this block."""
    saved = {name: getattr(np, name) for name in CONVERTERS}
    fetch, upload = jax.device_get, jnp.asarray

    def spy(convert):
        def converted(*args, **kwargs):
            traffic.saw_down((args, kwargs))
            return convert(*args, **kwargs)
        return converted

    for name, convert in saved.items():
        setattr(np, name, spy(convert))
    def uploaded(*args, **kwargs):
        traffic.saw_up((args, kwargs))
        return upload(*args, **kwargs)

    jax.device_get, jnp.asarray = spy(fetch), uploaded
    try:
        yield traffic
    finally:
        for name, convert in saved.items():
            setattr(np, name, convert)
        jax.device_get, jnp.asarray = fetch, upload


def counted_chunk(chunk, traffic: Traffic):
    """`chunk` that counts the NumPy arrays it is given (host -> device copies)."""
    def call(params, walkers, key):
        traffic.saw_up(walkers)
        return chunk(params, walkers, key)
    return call


def measure(walkers: int, span: float, seed: int = 0) -> dict[str, dict[str, float]]:
    system = potentials.harmonic(dim=3)
    config = fkdrift.Config(eval_walkers=walkers, eval_time=span, burn_in_time=0.0,
                            reweighted_time=span, drift_form="free").for_system(system)
    model = make_drift_model(system, config.network, config.drift_form)
    params = init_drift_params(model, jax.random.PRNGKey(seed), system)
    chunk = make_evaluation_chunk(model, system.potential, config.eval_dts,
                                  config.chunk_time)
    start = jax.random.normal(jax.random.PRNGKey(seed + 1), (walkers, 1, 3)) / np.sqrt(2)
    out = {}
    variational = Traffic()
    with counting(variational):
        ev = evaluate(counted_chunk(chunk, variational), params, start,
                      jax.random.PRNGKey(seed + 2), config.evaluation, config.stopping)
    out["variational"] = variational
    # the boundary function fitted with the solver's basis needs the solver; the
    # quadratic fit without a basis is None, so guide with the exact log φ0 = −|r|²/2
    reweighted = Traffic()
    with counting(reweighted):
        reweighted_energy(counted_chunk(chunk, reweighted), params, ev.walkers,
                          jax.random.PRNGKey(seed + 3), _exact_guide(),
                          dts=config.eval_dts, burn_in_time=0.0, config=config.reweighting,
                          stopping=config.stopping)
    out["reweighted"] = reweighted
    return {stage: {"down_per_time": t.down / span, "up_per_time": t.up / span,
                    "largest_down": t.largest_down} for stage, t in out.items()}


def _exact_guide():
    """The boundary function log φ0(r) = −|r|²/2 of the harmonic well, in the form this
    checkout's `reweighted_energy` takes (a `TrialFunction`, or a host function before)."""
    def log_phi(_, r):
        return -0.5 * (r**2).sum(axis=(-2, -1))

    trial = getattr(fkdrift.lowlevel, "TrialFunction", None)
    if trial is not None:
        return trial(log_phi, None)
    return lambda r, **_: np.asarray(log_phi(None, r))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walkers", type=int, default=512)
    parser.add_argument("--time", type=float, default=4.0, help="simulated time per stage")
    args = parser.parse_args()
    figures = measure(args.walkers, args.time)
    print(f"fkdrift {fkdrift.__version__}; harmonic 3D, {args.walkers} walkers per chain, "
          f"{args.time:g} time units per stage; {jax.devices()[0].platform}")
    print("| stage | device → host, bytes per time unit | host → device, bytes per time unit "
          "| largest array fetched, bytes |")
    print("|---|---|---|---|")
    for stage, f in figures.items():
        print(f"| {stage} | {f['down_per_time']:,.0f} | {f['up_per_time']:,.0f} "
              f"| {f['largest_down']:,} |")


if __name__ == "__main__":
    main()
