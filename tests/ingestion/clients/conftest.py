"""A real Redis for the rate-limiter tests: REDIS_URL when given, else a private redis-server."""

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from .support import FakeClock


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_for_ping(url: str, process: subprocess.Popen[bytes], deadline: float) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                time.sleep(0.02)
        return False
    finally:
        client.close()


def _start_redis_server(binary: str, workdir: str) -> tuple[subprocess.Popen[bytes], str]:
    # Below 32768: Linux hands out ephemeral ports above it, so a client socket can't take ours.
    for port in random.sample(range(20000, 32000), 20):
        if not _port_is_free(port):
            continue
        command = [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        if _wait_for_ping(url, process, time.monotonic() + 5):
            return process, url
        process.kill()
        process.wait(5)
    raise RuntimeError("could not start redis-server on a free loopback port")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    external = os.environ.get("REDIS_URL")
    if external:
        yield external
        return
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        pytest.skip("needs REDIS_URL or a redis-server binary")
    with tempfile.TemporaryDirectory(prefix="moon-redis-") as workdir:
        process, url = _start_redis_server(binary, workdir)
        try:
            yield url
        finally:
            process.terminate()
            process.wait(5)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def key_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A prefix no other test uses; its keys, and only them, are deleted afterwards."""
    prefix = f"moon-test:{uuid.uuid4().hex}"
    yield prefix
    keys = list(redis_client.scan_iter(match=f"{prefix}:*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
