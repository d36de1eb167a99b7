"""User-facing errors: one line that names the problem and the fix."""

from __future__ import annotations


class FkdriftError(Exception):
    """A problem with the user's input or files, reported as one line (no traceback)."""
