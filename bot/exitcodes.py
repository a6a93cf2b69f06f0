"""What every `diemtin` command exits with, and its one line on standard error when it fails."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def fail(message: str, code: int = EXIT_FAILED) -> int:
    """Print ``diemtin: message`` on standard error; return the exit code."""
    print(f"diemtin: {message}", file=sys.stderr)
    return code
