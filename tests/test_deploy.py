"""The files in deploy/ as the README's "Deployment" uses them: the systemd unit passes
`systemd-analyze verify`, the nginx snippet passes `nginx -t` and carries a webhook through a
real nginx to the bot, secret header included. Each test skips only where its tool is absent
(.ci/run installs nginx, so CI runs them)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.command import diemtin_command
from tests.fakes.telegram import FakeTelegram
from tests.ops_support import SECRET, TOKEN, bot_config, free_port, private_message, running_app

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_unit_verifies(tmp_path):
    unit = (DEPLOY / "diemtin.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/diemtin/venv/bin/diemtin run --config /etc/diemtin/config.toml" in unit
    assert "RestartPreventExitStatus=2" in unit and "EnvironmentFile=/etc/diemtin/env" in unit
    # verify wants the program to exist: point it at the diemtin this test suite installed.
    local = tmp_path / "diemtin.service"
    local.write_text(unit.replace("/opt/diemtin/venv/bin/diemtin", diemtin_command()), encoding="utf-8")
    run = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "diemtin.service" not in run.stderr, run.stderr  # no warning about the unit itself


def _nginx_conf(tmp_path: Path, listen: int, bot_port: int) -> Path:
    snippet = (DEPLOY / "nginx-diemtin.conf").read_text(encoding="utf-8")
    (tmp_path / "diemtin.conf").write_text(snippet.replace("127.0.0.1:8080", f"127.0.0.1:{bot_port}"), encoding="utf-8")
    for folder in ("logs", "tmp"):
        (tmp_path / folder).mkdir(exist_ok=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/logs/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/tmp/body;
    proxy_temp_path {tmp_path}/tmp/proxy;
    fastcgi_temp_path {tmp_path}/tmp/fastcgi;
    uwsgi_temp_path {tmp_path}/tmp/uwsgi;
    scgi_temp_path {tmp_path}/tmp/scgi;
    server {{
        listen 127.0.0.1:{listen};
        server_name bot.example.gov.vn;
        include {tmp_path}/diemtin.conf;
    }}
}}
""", encoding="utf-8")
    return conf


needs_nginx = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")


@needs_nginx
def test_the_nginx_snippet_passes_nginx_t(tmp_path):
    conf = _nginx_conf(tmp_path, free_port(), 8080)
    run = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(conf)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "syntax is ok" in run.stderr and "test is successful" in run.stderr


@needs_nginx
async def test_a_webhook_reaches_the_bot_through_nginx(tmp_path):
    import aiohttp

    bot_port, nginx_port = free_port(), free_port()
    conf = _nginx_conf(tmp_path, nginx_port, bot_port)
    nginx = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        async with FakeTelegram(token=TOKEN) as fake:
            config = bot_config(tmp_path, fake, telegram={
                "mode": "webhook", "webhook_url": "https://127.0.0.1/telegram/hook",  # the fake accepts loopback only
                "webhook_listen": f"127.0.0.1:{bot_port}",
            })
            async with running_app(config), aiohttp.ClientSession() as http:
                public = f"http://127.0.0.1:{nginx_port}/telegram/hook"
                deadline = time.monotonic() + 10
                while True:  # nginx is up once its port answers
                    try:
                        async with http.get(f"http://127.0.0.1:{nginx_port}/metrics") as answer:
                            assert answer.status == 404  # never proxied
                        break
                    except aiohttp.ClientConnectionError:
                        assert time.monotonic() < deadline and nginx.poll() is None, nginx.stderr
                        await _pause()
                assert (await fake.post_update(private_message(903, "/start"), url=public, secret_token="x")).status == 403
                assert (await fake.post_update(private_message(904, "/start"), url=public, secret_token=SECRET)).status == 200
                assert "Chào" in (await fake.wait_sent(904, timeout=10))[0]
                assert fake.sent(903) == []
                async with http.get(public) as answer:
                    assert answer.status == 403  # only POST is passed on
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.05)
