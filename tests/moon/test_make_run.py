"""`make run` starts every process with embedded defaults and Ctrl-C leaves nothing behind."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "scripts/run exited early"
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response.json() if "json" in response.headers["content-type"] else None
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("moon did not become healthy")


def processes_in_group(pgid: int) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pgid=,args="], capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line.split(None, 1)[0] == str(pgid)]


def test_make_run_serves_the_system_and_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    web, flower = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "APP_ENV"}}
    env.update(
        PORT=str(web),
        FLOWER_PORT=str(flower),
        DATABASE_URL=f"sqlite:///{tmp_path / 'moon.sqlite3'}",
        PUMPPORTAL_WS_URL="ws://127.0.0.1:9/api/data",  # nothing listens: the listener retries
        DEXSCREENER_URL="http://127.0.0.1:9",
    )
    process = subprocess.Popen(
        ["scripts/run"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = wait_healthy(f"http://127.0.0.1:{web}/health", process)
        wait_healthy(f"http://127.0.0.1:{flower}/healthcheck", process, timeout=60)
        flower_status = httpx.get(f"http://127.0.0.1:{flower}/", timeout=10).status_code
        dashboard = httpx.get(f"http://127.0.0.1:{web}/", timeout=10)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=60)

    text = output.decode()
    assert (health["database"]["vendor"], health["redis"]["ok"]) == ("sqlite", True)
    assert (dashboard.status_code, flower_status) == (200, 200)
    assert f"dashboard  http://127.0.0.1:{web}/" in text
    assert "createsuperuser" in text
    assert process.returncode == 0
    deadline = time.monotonic() + 20
    while processes_in_group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_in_group(process.pid) == []
