"""The installed `diemtin` command, run as an operator runs it (a subprocess, a clean environment)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET_VARS = ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "ZALO_WEBHOOK_SECRET")


def diemtin_command() -> str:
    """The console script `pip install -e .` put beside this interpreter."""
    found = shutil.which("diemtin", path=sysconfig.get_path("scripts"))
    assert found, "the diemtin command is not installed: pip install -e '.[dev]'"
    return found


def diemtin(*args: str, cwd: Path | None = None, env: dict | None = None,
            timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    """Run `diemtin ARGS`; a hang fails the test through ``timeout``."""
    clean = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    return subprocess.run(
        [diemtin_command(), *args], capture_output=True, text=True, timeout=timeout,
        cwd=cwd or ROOT, env={**clean, **(env or {})}, **kw,
    )
