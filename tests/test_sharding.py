"""Walkers spread over several devices (fkdrift/_sharding.py): four forced host devices
against this process's one, same seed and total walkers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import FKDRIFT

import fkdrift

SETTINGS = {
    "harmonic": {"train_steps": 100, "eval_time": 2.0, "reweighted_time": 6.0},
    "helium": {"train_steps": 60, "eval_time": 2.0, "reweighted_time": 4.0},
}

FOUR_DEVICES = {**os.environ,
                "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
                "JAX_PLATFORMS": "cpu"}

ON_FOUR = """
import json, sys
import jax
import fkdrift
out = {}
for name, settings in json.loads(sys.argv[1]).items():
    r = fkdrift.solve(name, seed=0, config=fkdrift.Config(**settings))
    out[name] = [r.energy, r.energy_error, r.info["device_count"], len(jax.devices())]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def four_devices() -> dict[str, list]:
    """{system: [E, error, recorded device count, devices seen]} of runs on 4 devices."""
    proc = subprocess.run([sys.executable, "-c", ON_FOUR, json.dumps(SETTINGS)],
                          env=FOUR_DEVICES, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.slow  # a minute: CI runs it with the slow set
@pytest.mark.parametrize("name", list(SETTINGS))
def test_four_devices_agree_with_one(four_devices, name):
    one = fkdrift.solve(name, seed=0, config=fkdrift.Config(**SETTINGS[name]))
    energy, error, recorded, seen = four_devices[name]
    assert seen == 4 and recorded == 4, "the run must record the devices its walkers used"
    assert one.info["device_count"] == 1
    assert abs(energy - one.energy) < 2 * np.hypot(error, one.energy_error), (energy,
                                                                               one.energy)


def test_walkers_that_do_not_split_over_the_devices_are_a_one_line_error(tmp_path):
    proc = subprocess.run([*FKDRIFT, "solve", "--potential", "harmonic", "--set", "batch=66",
                           "--out", "x.h5"], cwd=tmp_path, env=FOUR_DEVICES,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    message = proc.stderr.strip().splitlines()
    assert len(message) == 1 and "batch = 66" in message[0] and "4 devices" in message[0]
    assert not any(tmp_path.iterdir()), "nothing may be written"


PER_DEVICE = """
import json, re
import jax, jax.numpy as jnp, numpy as np, optax
jax.config.update("jax_enable_x64", True)
import fkdrift
from fkdrift._sharding import place_replicated, shard_walkers, walker_mesh
from fkdrift._training import window_loss
from fkdrift.lowlevel import (TrainState, init_drift_params, init_walkers, make_drift_model,
                              make_local_energy_step, make_optimizer, make_train_step)
mesh = walker_mesh()
out = {}
for name, window in (("harmonic", 5), ("helium", 0)):
    system = fkdrift.registry.build(name)
    config = fkdrift.Config(batch=64).for_system(system)
    model = make_drift_model(system, config.network, config.drift_form)
    params = init_drift_params(model, jax.random.PRNGKey(0), system)
    optimizer = make_optimizer(1e-3)
    if config.drift_form == "free":
        make = lambda m: make_train_step(model, system.potential, optimizer, dt=config.dt,
                                         n_steps=window, mesh=m)
    else:  # no moves: the update is a function of the walkers alone
        make = lambda m: make_local_energy_step(model, system.potential, optimizer,
                                                dt=config.dt, n_steps=window,
                                                metropolis=True, mesh=m)
    walkers = init_walkers(jax.random.PRNGKey(1), 64, system.shape, 1.0)
    state = TrainState(params, optimizer.init(params), walkers, jax.random.PRNGKey(2),
                       jnp.zeros((), int))
    split = place_replicated(state._replace(walkers=None), mesh)._replace(
        walkers=shard_walkers(walkers, mesh))
    step = make(mesh)
    text = step.lower(split).compile().as_text()
    # collectives outside the branches of conditionals (diffrax's error checks)
    branches = set(re.findall(r"%([\\w.\\-]+)", " ".join(
        re.findall(r"branch_computations=\\{([^}]*)\\}", text))))
    blocks = re.split(r"\\n(?=\\S)", text)
    collectives = sum(
        len(re.findall(r" (all-reduce|all-gather|all-to-all|collective-permute)(-start)?\\(",
                       block))
        for block in blocks if re.match(r"%([\\w.\\-]+)", block) is None
        or re.match(r"%([\\w.\\-]+)", block).group(1) not in branches)
    new, metrics = step(split)
    if config.drift_form == "free":  # reference: the mean of the four groups' gradients
        _, window_key = jax.random.split(state.key)
        grads = [jax.grad(lambda p, g=g: window_loss(
            p, model, system.potential, walkers[16 * g:16 * (g + 1)],
            jax.random.fold_in(window_key, g), dt=config.dt, n_steps=window)[0])(params)
            for g in range(4)]
        grads = jax.tree_util.tree_map(lambda *g: sum(g) / 4, *grads)
        updates, _ = optimizer.update(grads, state.opt_state, params)
        reference = optax.apply_updates(params, updates)
        energy, grad_norm = None, float(optax.tree.norm(grads))
    else:  # reference: the same step on one device
        ref, ref_metrics = make(None)(state)
        reference, energy = ref.params, float(ref_metrics["energy"])
        grad_norm = float(ref_metrics["grad_norm"])
    diff = max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(
        jax.tree_util.tree_leaves(new.params), jax.tree_util.tree_leaves(reference)))
    out[name] = {"collectives": collectives, "param_diff": diff,
                 "grad_norm": float(metrics["grad_norm"]), "reference_grad_norm": grad_norm,
                 "energy": float(metrics["energy"]), "reference_energy": energy,
                 "walkers": list(new.walkers.shape)}
print(json.dumps(out))
"""


def test_a_step_over_four_devices_reduces_once_or_twice_and_equals_the_whole_batch():
    """The per-device training steps (`training.per_device`): each device updates with
    the mean of every group's gradient, as the step on one device computes it from the
    whole batch (the gradient drift, without moves) or as the four groups' windows give it
    (the free drift, each group with its own noise); and the compiled step meets the
    other devices at most twice (was 82 times for the free drift's window)."""
    proc = subprocess.run([sys.executable, "-c", PER_DEVICE], env=FOUR_DEVICES,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    for name, row in out.items():
        assert row["collectives"] <= 2, (name, row)
        assert row["param_diff"] < 1e-6, (name, row)  # float32 parameters
        # Adam's first step is nearly sign(g) · rate: the gradient itself must agree too
        assert row["grad_norm"] == pytest.approx(row["reference_grad_norm"], rel=1e-5)
        assert row["walkers"][0] == 64, (name, row)
    helium = out["helium"]
    assert helium["energy"] == pytest.approx(helium["reference_energy"], rel=1e-12)
