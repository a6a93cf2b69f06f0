"""The walls between the stages (README, "Architecture"), checked by import-linter."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 400


def test_import_contracts_hold():
    command = shutil.which("lint-imports") or f"{Path(sys.executable).parent}/lint-imports"
    run = subprocess.run([command, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_only_the_telegram_package_names_telegram():
    pattern = re.compile(r"^\s*(import|from) telegram\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "handlers", "storage")
        for path in (ROOT / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
        and not path.is_relative_to(ROOT / "bot" / "messengers" / "telegram")
    ]
    assert offenders == []


def test_no_html_in_handlers_or_catalogues():
    tag = re.compile(r"</?(b|i|u|s|a|code|pre)\b[^>]*>|&(lt|gt|amp|quot);")
    paths = [*(ROOT / "handlers").glob("*.py"), *(ROOT / "bot" / "core" / "data" / "messages").glob("*.toml")]
    offenders = [str(p.relative_to(ROOT)) for p in paths if tag.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_modules_stay_small():
    big = {
        str(path.relative_to(ROOT)): n
        for folder in ("bot", "handlers", "storage")
        for path in (ROOT / folder).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert big == {}
