"""Shared pytest setup: double precision for every test (importing fkdrift does it too)."""

import jax

jax.config.update("jax_enable_x64", True)
