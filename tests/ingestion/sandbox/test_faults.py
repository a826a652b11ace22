"""Each fault does what it says, over real HTTP."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from ingestion.sandbox import SandboxHandle, running_sandbox
from ingestion.sandbox.faults import FaultSettings
from tests.ingestion.sandbox.conftest import quiet

pytestmark = pytest.mark.timeout(20)


def test_the_rate_limit_answers_429_with_and_without_retry_after(
    sandbox: SandboxHandle, mints: list[str]
) -> None:
    sandbox.set_faults(rate_limit_rpm=2)
    url = f"{sandbox.http_url}/tokens/v1/solana/{mints[0]}"

    responses = [httpx.get(url) for _ in range(4)]

    assert [r.status_code for r in responses] == [200, 200, 429, 429]
    limited, again = responses[2], responses[3]
    assert limited.headers["Retry-After"] == "60"
    assert limited.json() == {"error": "Too Many Requests"}
    assert "Retry-After" not in again.headers
    assert again.text == "error code: 1015"
    with pytest.raises(json.JSONDecodeError):
        again.json()
    assert sandbox.stats()["rate_limited"] == 2


def test_the_rate_limit_modes_can_be_fixed() -> None:
    with running_sandbox(quiet()) as sandbox:
        sandbox.set_faults(rate_limit_rpm=1, retry_after="never", rate_limit_body="json")
        url = f"{sandbox.http_url}/token-pairs/v1/solana/{'1' * 32}"

        statuses = [httpx.get(url) for _ in range(3)]

    assert [r.status_code for r in statuses] == [200, 429, 429]
    assert [r.headers.get("Retry-After") for r in statuses] == [None, None, None]
    assert [r.json() for r in statuses[1:]] == [{"error": "Too Many Requests"}] * 2


def test_latency_is_added_to_each_answer(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.http_url}/token-pairs/v1/solana/{'1' * 32}"
    httpx.get(url)
    sandbox.set_faults(latency_ms=300)

    started = time.monotonic()
    httpx.get(url)
    elapsed = time.monotonic() - started

    assert elapsed >= 0.3
    assert sandbox.stats()["latency_added_ms"] == 300


def test_a_5xx_burst_hits_exactly_the_next_n_requests(
    sandbox: SandboxHandle, mints: list[str]
) -> None:
    sandbox.set_faults(error_next=2, error_status=502)
    url = f"{sandbox.http_url}/tokens/v1/solana/{mints[0]}"

    statuses = [httpx.get(url).status_code for _ in range(3)]

    assert statuses == [502, 502, 200]
    assert sandbox.faults()["error_next"] == 0
    assert sandbox.stats()["server_errors"] == 2


def test_a_5xx_rate_of_one_fails_everything(sandbox: SandboxHandle, mints: list[str]) -> None:
    sandbox.set_faults(error_rate=1.0)

    response = httpx.get(f"{sandbox.http_url}/latest/dex/tokens/{mints[0]}")

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")


def test_a_malformed_body_cannot_be_parsed(sandbox: SandboxHandle, mints: list[str]) -> None:
    sandbox.set_faults(malformed_next=1)
    url = f"{sandbox.http_url}/tokens/v1/solana/{mints[0]}"

    broken, whole = httpx.get(url), httpx.get(url)

    assert broken.status_code == 200
    assert broken.headers["content-type"] == "application/json; charset=utf-8"
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    assert whole.content.startswith(broken.content)
    assert len(broken.content) == len(whole.content) // 2
    assert sandbox.stats()["malformed"] == 1


def test_omitted_tokens_are_silently_left_out_of_batches(
    sandbox: SandboxHandle, mints: list[str]
) -> None:
    batch = ",".join(mints[:30])
    sandbox.set_faults(omit_rate=0.5)

    partial = httpx.get(f"{sandbox.http_url}/tokens/v1/solana/{batch}")
    sandbox.set_faults(omit_rate=1.0)
    empty = httpx.get(f"{sandbox.http_url}/tokens/v1/solana/{batch}")
    latest = httpx.get(f"{sandbox.http_url}/latest/dex/tokens/{batch}")

    served = {p["baseToken"]["address"] for p in partial.json()}
    assert partial.status_code == 200
    assert served < set(mints[:30])
    assert empty.json() == []
    assert latest.json() == {"schemaVersion": "1.0.0", "pairs": None}
    assert sandbox.stats()["omitted_tokens"] == (30 - len(served)) + 30 + 30


def test_faults_are_read_changed_validated_and_reset(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.http_url}/_sandbox/faults"

    changed = httpx.post(url, json={"latency_ms": 5, "ws_silent": True})
    refused = httpx.post(url, json={"latency_ms": -1})
    unknown = httpx.post(url, json={"slowness": 1})
    reset = httpx.post(url, json={"reset": True, "omit_rate": 0.25})

    assert changed.json() == {**FaultSettings().to_json(), "latency_ms": 5, "ws_silent": True}
    assert httpx.get(url).json() == {**FaultSettings().to_json(), "omit_rate": 0.25}
    assert reset.json() == httpx.get(url).json()
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": "latency_ms must be a number >= 0"},
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"].startswith("unknown fault 'slowness'")


def test_faults_can_start_from_the_config() -> None:
    config = quiet(faults=FaultSettings(error_next=1))
    with running_sandbox(config) as sandbox:
        url = f"{sandbox.http_url}/token-pairs/v1/solana/{'1' * 32}"

        statuses = [httpx.get(url).status_code for _ in range(2)]

    assert statuses == [503, 200]


def test_admin_endpoints_are_never_faulted(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(error_rate=1.0, rate_limit_rpm=1, malformed_rate=1.0)

    answers = [httpx.get(f"{sandbox.http_url}/_sandbox/stats") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[-1].json()["requests"]["total"] == 0
