"""Configuration from the command line, and the entry points a command or a test uses."""

from __future__ import annotations

import argparse
import asyncio

import httpx
import pytest

from ingestion.sandbox import SandboxConfig, SandboxServer, add_arguments, run_sandbox
from ingestion.sandbox.faults import FaultSettings
from tests.ingestion.sandbox.conftest import quiet


def parse(*argv: str) -> SandboxConfig:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return SandboxConfig.from_options(vars(parser.parse_args(argv)))


def test_no_arguments_means_the_defaults() -> None:
    assert parse() == SandboxConfig()


def test_arguments_set_the_market_and_the_faults() -> None:
    config = parse(
        "--port", "9001", "--seed", "42", "--speed", "60", "--tokens", "10000",
        "--migrations-per-hour", "120", "--no-bursts", "--start-ms", "1772427561000",
        "--rate-limit-rpm", "300", "--retry-after", "never", "--latency-ms", "250",
        "--error-rate", "0.1", "--omit-rate", "0.05", "--ws-drop-every-s", "30", "--ws-silent",
    )  # fmt: skip

    assert config == SandboxConfig(
        port=9001,
        seed=42,
        speed=60.0,
        tokens=10000,
        migrations_per_hour=120.0,
        bursts=False,
        start_ms=1772427561000,
        faults=FaultSettings(
            rate_limit_rpm=300,
            retry_after="never",
            latency_ms=250,
            error_rate=0.1,
            omit_rate=0.05,
            ws_drop_every_s=30.0,
            ws_silent=True,
        ),
    )


def test_arguments_set_the_solana_rpc_faults() -> None:
    config = parse(
        "--rpc-latency-ms", "40", "--rpc-rate-limit", "100", "--rpc-error-rate", "0.2",
        "--rpc-error", "node_behind", "--rpc-error-method", "getTransaction",
        "--rpc-no-token-index", "--rpc-history-horizon-s", "7200", "--rpc-history-mode",
        "missing", "--ws-omit-migration-rate", "0.1",
    )  # fmt: skip

    assert config.faults == FaultSettings(
        rpc_latency_ms=40,
        rpc_rate_limit=100,
        rpc_error_rate=0.2,
        rpc_error="node_behind",
        rpc_error_method="getTransaction",
        rpc_no_token_index=True,
        rpc_history_horizon_s=7200.0,
        rpc_history_mode="missing",
        ws_omit_migration_rate=0.1,
    )


def test_django_style_options_with_foreign_keys_are_accepted() -> None:
    options = {"verbosity": 1, "settings": None, "seed": 3, "speed": None, "latency_ms": 10}

    config = SandboxConfig.from_options(options)

    assert (config.seed, config.speed, config.faults.latency_ms) == (3, 1.0, 10)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.2", "example.com"])  # noqa: S104
def test_it_serves_on_loopback_only(host: str) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        SandboxConfig(host=host)


def test_a_bad_fault_option_is_refused() -> None:
    with pytest.raises(ValueError, match="omit_rate is a fraction"):
        parse("--omit-rate", "2")


@pytest.mark.timeout(20)
def test_run_sandbox_serves_until_stopped() -> None:
    async def scenario() -> tuple[int, str, str]:
        stop = asyncio.Event()
        ready: asyncio.Queue[SandboxServer] = asyncio.Queue()
        task = asyncio.create_task(run_sandbox(quiet(), stop, ready.put_nowait))
        server = await asyncio.wait_for(ready.get(), 10)
        async with httpx.AsyncClient() as client:
            status = (await client.get(f"{server.http_url}/_sandbox/stats")).status_code
        stop.set()
        await asyncio.wait_for(task, 10)
        return status, server.ws_url, server.rpc_url

    status, ws_url, rpc_url = asyncio.run(scenario())

    assert status == 200
    assert ws_url.startswith("ws://127.0.0.1:")
    assert ws_url.endswith("/api/data")
    assert rpc_url == ws_url.replace("ws://", "http://").replace("/api/data", "/solana")
