"""`diemtin check-config`: what the schema cannot see, because it needs the file system."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from bot.config.model import Config
from bot.intake.sourcefile import local_path
from bot.plural import counted
from storage.db import open_problem


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)  # each one line, naming the key
    warnings: list[str] = field(default_factory=list)  # worth knowing; the bot still starts
    summary: str = ""  # one line: what was checked, which messengers would run


def check_config(config: Config) -> CheckReport:
    """Storage usable, local feed files present; and a one-line account of the whole config."""
    report = CheckReport()
    db = config.storage_path
    problem = open_problem(db)
    if problem:
        report.problems.append(f"[storage].path: {db}: {problem}")
    for n, feed in enumerate(config.feeds, 1):
        path = local_path(feed.url)  # the schema has refused unsupported schemes
        if path is not None and not path.is_file():
            report.warnings.append(f"[[feeds]] #{n}.url: {path}: file not found; it is polled "
                                   "anyway and counts as a failing feed until it appears")
    for m in config.messengers:
        if not m.admins:
            report.warnings.append(f"[{m.name}].admins: empty: nobody may use /thongke, /guitin "
                                   f"or /nguon on {m.name}")
    listen = config.server.listen
    if listen is not None and not _loopback(listen):
        report.warnings.append(f"[server].listen: {listen} is reachable from other machines; "
                               "/healthz and /metrics are meant for this one (127.0.0.1)")
    running = [f"{m.name} ({m.mode}, {counted(len(m.admins), 'admin')})" for m in config.messengers]
    idle = [f"{m.name} (no {m.token_env})" for m in config.all_messengers if not m.enabled]
    messengers = f"runs {', '.join(running)}" if running else "no messenger would run"
    if idle:
        messengers += f"; off: {', '.join(idle)}"
    schedule = config.schedule
    report.summary = (
        f"{config.path or 'built-in defaults'}: OK — storage {db} "
        f"({'exists' if db.exists() else 'created at first start'}), {counted(len(config.feeds), 'feed')}, "
        f"weekly {schedule.weekly.label('en')} {schedule.timezone.key}; {messengers}"
        + (f"; /healthz and /metrics on {listen}" if listen else "")
    )
    return report


def _loopback(listen: str) -> bool:
    host = listen.rpartition(":")[0].strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
