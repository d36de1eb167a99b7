"""The augmented Feynman–Kac SDE, integrated with diffrax.

State y = (r, ℓ) with r: (walkers, particles, dim) and ℓ: (walkers,):

    dr = v(r) dt + dB,      dℓ = (½|v|² + V(r)) dt + v(r)·dB     (Itô)

One diffrax term carries both, so the drift network is evaluated once per step and the
Itô sum v·ΔB uses exactly the increment ΔB that moved the walker (v at the left point).
"""

from __future__ import annotations

from collections.abc import Callable

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, PRNGKeyArray

from .brownian import LatticeBrownianPath

DriftFn = Callable[[Array], Array]
"""v(r): (walkers, particles, dim) -> (walkers, particles, dim)."""
PotentialFn = Callable[[Array], Array]
"""V(r): (particles, dim) -> scalar, for one configuration."""


class FeynmanKacTerm(diffrax.AbstractTerm):
    """Drift, noise and path-integral rate of the augmented state, as one diffrax term.

    The control over a step [t0, t1] is (dt, ΔB); the vector field is (v, ½|v|² + V).
    With `noise_moments` the state carries a third part q: (walkers, particles, dim)
    accumulating ΔB² − dt per coordinate, exactly zero-mean control variates for the
    evaluation (they absorb the ½ ΔB·∇v·ΔB fluctuation of the discrete Itô sum).
    """

    drift: DriftFn
    potential: PotentialFn
    path: LatticeBrownianPath
    noise_moments: bool = eqx.field(static=True, default=False)

    def vf(self, t, y, args):
        r = y[0]
        v = self.drift(r)
        rate = 0.5 * jnp.sum(v**2, axis=(-2, -1)) + jax.vmap(self.potential)(r)
        return v, rate

    def contr(self, t0, t1, **kwargs):
        return t1 - t0, self.path.evaluate(t0, t1)

    def prod(self, vf, control):
        v, rate = vf
        dt, dB = control
        out = (v * dt + dB, rate * dt + jnp.sum(v * dB, axis=(-2, -1)))
        if self.noise_moments:
            out = (*out, dB**2 - dt)
        return out


def integrate_window(
    drift: DriftFn,
    potential: PotentialFn,
    r0: Array,
    key: PRNGKeyArray,
    *,
    dt: float,
    n_steps: int,
    substeps: int = 1,
    checkpoint_every_step: bool = True,
    noise_moments: bool = False,
) -> tuple[Array, ...]:
    """Run walkers for one window of `n_steps` Euler–Maruyama steps of size `dt`.

    The window's Brownian path lives on the lattice h = dt / substeps and is derived from
    `key`, so windows with the same key and n_steps * dt share their noise.

    Args:
        r0: (walkers, particles, dim) start positions.
    Returns:
        r_T: (walkers, particles, dim) end positions; ell: (walkers,) the path integral ℓ_T;
        with `noise_moments` also q: (walkers, particles, dim), the sums of ΔB² − dt.
    """
    path = LatticeBrownianPath(r0.shape, key, dt / substeps, substeps)
    term = FeynmanKacTerm(drift, potential, path, noise_moments)
    ell0 = jnp.zeros(r0.shape[0], dtype=jnp.result_type(r0.dtype, jnp.float64))
    y0 = (r0, ell0, jnp.zeros_like(r0)) if noise_moments else (r0, ell0)
    adjoint = (
        diffrax.RecursiveCheckpointAdjoint(checkpoints=n_steps)
        if checkpoint_every_step
        else diffrax.RecursiveCheckpointAdjoint()
    )
    sol = diffrax.diffeqsolve(
        term,
        diffrax.Euler(),
        t0=0.0,
        t1=n_steps * dt,
        dt0=None,
        y0=y0,
        saveat=diffrax.SaveAt(t1=True),
        stepsize_controller=diffrax.StepTo(ts=dt * jnp.arange(n_steps + 1)),
        adjoint=adjoint,
        max_steps=n_steps,
        throw=False,
    )
    return tuple(y[-1] for y in sol.ys)


integrate_window_jit = eqx.filter_jit(integrate_window)
