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
