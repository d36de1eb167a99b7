"""A Brownian path on a fine time lattice, shared between solvers with different steps.

Evaluating the same physics at several time steps dt_k = m_k * h is cheapest to resolve
when the chains are *correlated*: each coarse increment is the sum of the fine lattice
increments it covers, so all chains are driven by one Brownian path. Increments are
derived from the lattice index with `jax.random.fold_in`, so re-evaluating a step (as the
backward pass does) gives the same noise, as with `diffrax.UnsafeBrownianPath`.
"""

from __future__ import annotations

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, PRNGKeyArray


class LatticeBrownianPath(diffrax.AbstractBrownianPath):
    """Brownian motion W(t) of shape `shape`, sampled on the lattice t = i * spacing.

    Each solver step must span exactly `substeps` lattice cells; the increment over the
    step is the sum of those cells' Gaussian increments (each N(0, spacing)).

    Attributes:
        shape: shape of W, e.g. (walkers, particles, dim).
        key: PRNG key of the path.
        spacing: the lattice cell h (the finest time step).
        substeps: lattice cells per solver step (dt = substeps * h).
    """

    shape: tuple[int, ...] = eqx.field(static=True)
    key: PRNGKeyArray
    spacing: float = eqx.field(static=True)
    substeps: int = eqx.field(static=True)
    levy_area: type = eqx.field(static=True, default=diffrax.BrownianIncrement)

    @property
    def t0(self) -> float:
        return -jnp.inf

    @property
    def t1(self) -> float:
        return jnp.inf

    def cell_increments(self, first: Array) -> Array:
        """Increments of the `substeps` cells starting at lattice index `first`.

        Returns: (substeps, *shape)."""
        idx = first + jnp.arange(self.substeps)
        keys = jax.vmap(lambda i: jr.fold_in(self.key, i))(idx)
        normals = jax.vmap(lambda k: jr.normal(k, self.shape))(keys)
        return normals * jnp.sqrt(self.spacing)

    def evaluate(self, t0, t1=None, left: bool = True, use_levy: bool = False) -> Array:
        del left, use_levy
        if t1 is None:
            raise ValueError("LatticeBrownianPath only evaluates increments W(t1) - W(t0)")
        first = jnp.round(jax.lax.stop_gradient(t0) / self.spacing).astype(jnp.int32)
        return jnp.sum(self.cell_increments(first), axis=0)
