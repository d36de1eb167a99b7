"""The augmented Feynman–Kac SDE, integrated with diffrax.

State y = `Window`(r, ℓ, t, q) with r: (walkers, particles, dim) and ℓ: (walkers,):

    dr = v(r) dt + dB,      dℓ = (½|v|² + V(r)) dt + v(r)·dB     (Itô)

One diffrax term carries both, so the drift network is evaluated once per step and the
Itô sum v·ΔB uses exactly the increment ΔB that moved the walker (v at the left point).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import diffrax
import jax
import jax.numpy as jnp
from jaxtyping import Array, PRNGKeyArray

from ._brownian import LatticeBrownianPath

DriftFn = Callable[[Array], Array]
"""v(r): (walkers, particles, dim) -> (walkers, particles, dim)."""
PotentialFn = Callable[[Array], Array]
"""V(r): (particles, dim) -> scalar, for one configuration."""
CuspFn = Callable[[Array], tuple[Array, Array, Array]]
"""r: (walkers, particles, dim) -> (f_c: (walkers,), ∇f_c: (walkers, particles, dim),
Δf_c: (walkers,)), an analytic gradient part of the drift (the Coulomb cusps)."""


class Window(NamedTuple):
    """The augmented state of a window of walkers (and its end, from `integrate_window`).

    r: (walkers, particles, dim) positions; ell: (walkers,) the path integral ℓ;
    t: (walkers,) elapsed time; q: (walkers, particles, dim) the noise moments, the sums
    of ΔB² − dt per coordinate (zero-mean control variates, see `FeynmanKacTerm`).
    """

    r: Array
    ell: Array
    t: Array
    q: Array


class FeynmanKacTerm(diffrax.AbstractTerm):
    """Drift, noise and path-integral rate of the augmented state, as one diffrax term.

    The control over a step [t0, t1] is (dt, ΔB); the vector field is (v, ½|v|² + V).

    The state (a `Window`) also carries the elapsed time t: (walkers,) and q: (walkers,
    particles, dim), the sums of ΔB² − dt per coordinate: exactly zero-mean control
    variates that absorb the ½ ΔB·∇v·ΔB fluctuation of the discrete Itô sum (evaluation
    uses them; training ignores them, at the cost of one elementwise update per step).

    With `cusp` (Coulomb systems, in training and evaluation), the Itô sum of the
    gradient part v_c = ∇f_c of the drift is replaced through Itô's formula,
    ∫v_c·dB = Δf_c − ∫(v_c·v + ½Δf_c) dt: the rate becomes ½|v|² − v_c·v − ½Δf_c + V and
    the noise term (v − v_c)·ΔB, and `integrate_window` adds f_c(r_T) − f_c(r_0). The same
    ℓ in continuous time, but the Coulomb singularities of V cancel against −½Δf_c inside
    one step (Kato's cusp), so a walker that comes close to a nucleus no longer gets a
    −dt/|r − R| spike in ℓ (or its 1/|r − R|² in the pathwise gradient).
    """

    drift: DriftFn
    potential: PotentialFn
    path: LatticeBrownianPath
    cusp: CuspFn | None = None

    def vf(self, t, y, args):
        r = y.r
        v = self.drift(r)
        rate = 0.5 * jnp.sum(v**2, axis=(-2, -1)) + jax.vmap(self.potential)(r)
        noise_drift = v
        if self.cusp is not None:
            _, v_c, laplacian = self.cusp(r)
            rate = rate - jnp.sum(v_c * v, axis=(-2, -1)) - 0.5 * laplacian
            noise_drift = v - v_c
        return v, rate, noise_drift

    def contr(self, t0, t1, **kwargs):
        return t1 - t0, self.path.evaluate(t0, t1)

    def prod(self, vf, control):
        dt, dB = control
        v, rate, noise_drift = vf
        return Window(v * dt + dB, rate * dt + _ito_sum(noise_drift, dB),
                      jnp.broadcast_to(dt, rate.shape), dB**2 - dt)


def _ito_sum(v: Array, dB: Array) -> Array:
    """Σ v·ΔB per walker, with v detached from the gradient.

    The Itô sum has zero mean for every θ (v at the left point is independent of ΔB), so
    its pathwise derivative is zero-mean noise: detaching it leaves the expected gradient
    unchanged and lowers its variance (benchmarks/README.md, "Figures behind choices in
    the code"). The value, a control variate of ℓ, is kept.
    """
    return jnp.sum(jax.lax.stop_gradient(v) * dB, axis=(-2, -1))


def integrate_window(
    drift: DriftFn,
    potential: PotentialFn,
    r0: Array,
    key: PRNGKeyArray,
    *,
    dt: float,
    n_steps: int,
    substeps: int = 1,
    checkpoints: int | None = None,
    cusp: CuspFn | None = None,
) -> Window:
    """Run walkers for one window of `n_steps` Euler–Maruyama steps of size `dt`.

    The window's Brownian path lives on the lattice h = dt / substeps and is derived from
    `key`, so windows with the same key and n_steps * dt share their noise.

    Args:
        r0: (walkers, particles, dim) start positions.
        checkpoints: steps stored for a backward pass through the window (diffrax's
            `RecursiveCheckpointAdjoint`): n_steps stores every step, fewer store that
            many and recompute the steps between (memory for time); None: diffrax's
            default, for windows that are only run forward.
    Returns:
        the `Window` at the end: r_T, ℓ_T, the elapsed time and the noise moments.
    """
    path = LatticeBrownianPath(r0.shape, key, dt / substeps, substeps)
    term = FeynmanKacTerm(drift, potential, path, cusp)
    ell0 = jnp.zeros(r0.shape[0], dtype=jnp.result_type(r0.dtype, jnp.float64))
    y0 = Window(r0, ell0, jnp.zeros_like(ell0), jnp.zeros_like(r0))
    adjoint = diffrax.RecursiveCheckpointAdjoint(checkpoints=checkpoints)
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
    end = Window(*(y[-1] for y in sol.ys))
    if cusp is None:
        return end
    return end._replace(ell=end.ell + cusp(end.r)[0] - cusp(r0)[0])
