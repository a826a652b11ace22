"""Helpers for the sandbox's Solana RPC tests: one call, a reference backfill, shape checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingestion.sandbox import SandboxHandle
from ingestion.sandbox.keys import MIGRATION_ACCOUNT, PUMP_PROGRAM

CAPTURES = Path("/work/shared/research/captures")
TX_CONFIG = {"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0}
PARSED = {"encoding": "jsonParsed"}
CONFIRMED = {"encoding": "jsonParsed", "commitment": "confirmed"}
U64_MAX = 18446744073709551615
MIGRATE_LINES = ("Program log: Instruction: Migrate", "Program log: Instruction: MigrateV2")


_CLIENT = httpx.Client(timeout=30)  # keep-alive: a backfill makes hundreds of calls


def post(sandbox: SandboxHandle, body: Any, **kwargs: Any) -> httpx.Response:
    return _CLIENT.post(sandbox.rpc_url, json=body, **kwargs)


def call(sandbox: SandboxHandle, method: str, *params: Any, request_id: Any = 1) -> Any:
    """The whole JSON-RPC response object of one call."""
    body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}
    response = post(sandbox, body)
    assert response.status_code == 200, response.text
    return response.json()


def result(sandbox: SandboxHandle, method: str, *params: Any) -> Any:
    answer = call(sandbox, method, *params)
    assert "error" not in answer, answer
    return answer["result"]


def value(sandbox: SandboxHandle, method: str, *params: Any) -> Any:
    return result(sandbox, method, *params)["value"]


def all_signatures(
    sandbox: SandboxHandle, address: str, *, limit: int = 1000, **config: Any
) -> list[dict[str, Any]]:
    """Page backwards with `before` until a short page, as a backfill does."""
    found: list[dict[str, Any]] = []
    while True:
        options = {"limit": limit, **config}
        if found:
            options["before"] = found[-1]["signature"]
        page = result(sandbox, "getSignaturesForAddress", address, options)
        found += page
        if len(page) < limit:
            return found


def graduated_mint(tx: dict[str, Any]) -> str | None:
    """What a careful backfill takes from one transaction: the mint third in a successful
    pump.fun migrate / migrate_v2 that logged its exact line and was not a no-op."""
    meta = tx["meta"]
    logs = meta["logMessages"]
    if meta["err"] is not None or "Program log: Bonding curve already migrated" in logs:
        return None
    if not any(line in MIGRATE_LINES for line in logs):
        return None
    for instruction in tx["transaction"]["message"]["instructions"]:
        if instruction["programId"] == PUMP_PROGRAM and "accounts" in instruction:
            return str(instruction["accounts"][2])
    return None


def backfill(sandbox: SandboxHandle, **config: Any) -> dict[str, int]:
    """mint -> blockTime of every graduation the chain lists, the noise skipped."""
    found = {}
    for entry in all_signatures(sandbox, MIGRATION_ACCOUNT, **config):
        if entry["err"] is not None:
            continue
        tx = result(sandbox, "getTransaction", entry["signature"], {**TX_CONFIG, **config})
        mint = graduated_mint(tx)
        if mint is not None:
            found[mint] = tx["blockTime"]
    return found


def capture(name: str) -> dict[str, Any]:
    """A real response saved by the research notes, read in place (skipped where absent)."""
    path = CAPTURES / f"solana-rpc-{name}.json"
    if not path.exists():
        pytest.skip(f"no capture {path}")
    return dict(json.loads(path.read_text())["response"])


def json_type(item: Any) -> str:
    if item is None:
        return "null"
    if isinstance(item, bool):
        return "bool"
    if isinstance(item, int | float):
        return "number"
    return type(item).__name__


def assert_shaped_like(
    ours: Any, theirs: Any, path: str = "$", skip: frozenset[str] = frozenset()
) -> None:
    """Every key of the real answer is in ours with the same JSON type (a real null matches
    anything: it is "absent" there), lists compared by their first items."""
    if theirs is None:
        return
    assert json_type(ours) == json_type(theirs), f"{path}: {json_type(ours)} vs {json_type(theirs)}"
    if isinstance(theirs, dict):
        for key, item in theirs.items():
            if key in skip:
                continue
            assert key in ours, f"{path}.{key} missing"
            assert_shaped_like(ours[key], item, f"{path}.{key}", skip)
    elif isinstance(theirs, list) and theirs and ours:
        assert_shaped_like(ours[0], theirs[0], f"{path}[0]", skip)


def mint_value(sandbox: SandboxHandle, token: dict[str, Any], **config: Any) -> dict[str, Any]:
    return dict(value(sandbox, "getAccountInfo", token["mint"], {**PARSED, **config}))
