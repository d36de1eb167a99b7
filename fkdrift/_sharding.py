"""Walkers spread over every local device (jax.sharding), parameters replicated.

A run places its walker arrays with a `NamedSharding` over a one-axis `Mesh` of
`jax.devices()` (axis "walkers"); the compiled steps then run on every device and the
compiler inserts the reductions (gradient means, estimator sums, the population's
resampling). With one device this is a no-op placement. Random numbers are drawn with
the partitionable Threefry (`jax_threefry_partitionable`), so a seed gives the same
walkers whatever the device count.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import numpy as np
from jax.flatten_util import ravel_pytree
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._errors import FkdriftError

AXIS = "walkers"


class Devices(NamedTuple):
    """The reductions of a step mapped over groups of walkers, one group per device of
    `mesh` (`jax.vmap` with axis name `axis`, see `training.per_device`), or of a step
    that sees every walker (axis None: each reduction is the identity)."""

    axis: str | None = None
    mesh: Mesh | None = None

    def mean(self, tree):
        """The mean over the groups of each array in `tree`: one all-reduce of one
        array, the tree's values flattened into it (the CPU collectives reduce a tuple
        of arrays one array at a time; benchmarks/README.md, `processes.py`)."""
        if self.axis is None:
            return tree
        flat, unflatten = ravel_pytree(tree)
        return unflatten(jax.lax.pmean(flat, self.axis))

    def gather(self, x: jax.Array) -> jax.Array:
        """Every group's x: (n, ...) joined along the first axis, (groups·n, ...), a copy
        on every device (one all-gather; what is computed from it stays on each device
        instead of being split over the devices again)."""
        if self.axis is None:
            return x
        return jax.lax.with_sharding_constraint(
            jax.lax.all_gather(x, self.axis, tiled=True), replicated(self.mesh))

    def key(self, key: jax.Array) -> jax.Array:
        """A key of this group's own (the key itself when there is one group)."""
        if self.axis is None:
            return key
        return jax.random.fold_in(key, jax.lax.axis_index(self.axis))


def walker_mesh(devices: list | None = None) -> Mesh:
    """A one-axis mesh ("walkers") over `devices` (default: all devices of all processes)."""
    return Mesh(np.asarray(jax.devices() if devices is None else devices), (AXIS,))


def walker_sharding(mesh: Mesh, axis: int = 0) -> NamedSharding:
    """Split dimension `axis` (the walkers) over the mesh, replicate the others."""
    return NamedSharding(mesh, PartitionSpec(*([None] * axis), AXIS))


def replicated(mesh: Mesh) -> NamedSharding:
    """The same array on every device of the mesh (parameters, optimizer state)."""
    return NamedSharding(mesh, PartitionSpec())


def place_replicated(tree, mesh: Mesh):
    """The arrays of `tree` placed on every device of the mesh, as the compiled steps
    return them (an input placed otherwise would compile each step a second time)."""
    return jax.device_put(tree, replicated(mesh))


def shard_walkers(x: jax.Array, mesh: Mesh, axis: int = 0) -> jax.Array:
    """x with dimension `axis` split over the mesh's devices."""
    return jax.device_put(x, walker_sharding(mesh, axis))


def check_divisible(counts: dict[str, int], mesh: Mesh) -> None:
    """One-line FkdriftError unless every walker count in `counts` (name -> count)
    splits evenly over the mesh's devices."""
    n = mesh.devices.size
    for name, count in counts.items():
        if count % n:
            raise FkdriftError(
                f"Config.{name} = {count} does not split over {n} devices; use a multiple "
                f"of {n} (e.g. {max(n, count // n * n)})")


def to_host(tree):
    """NumPy copies of the arrays in `tree`. An array split over the devices of several
    processes (a multi-process run) is gathered whole on every process, a collective that
    every process must call; one fully replicated is read from a local copy."""
    def one(x):
        if not isinstance(x, jax.Array) or x.is_fully_addressable:
            return jax.device_get(x)
        if x.is_fully_replicated:
            return np.asarray(x.addressable_data(0))
        from jax.experimental import multihost_utils

        return np.asarray(multihost_utils.process_allgather(x, tiled=True))

    return jax.tree_util.tree_map(one, tree)
