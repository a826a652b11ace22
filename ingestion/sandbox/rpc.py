"""The sandbox's Solana JSON-RPC endpoint, POST /solana: JSON-RPC 2.0 over HTTP, one call or a
batch, answered from the simulated chain in a mainnet node's shapes and with its errors.

Commitment matters as it does on a node: "finalized" (the default) sees the chain as it was
about 13 simulated seconds ago, "confirmed" sees it now; context.slot says which. Faults
(faults.py, POST /_sandbox/faults) hit in the order a client meets them: latency, a hang,
HTTP 429, then JSON-RPC error objects call by call.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ingestion.sandbox.accounts import (
    AccountError,
    account_value,
    accounts_by_owner,
    largest_accounts,
    supply_value,
)
from ingestion.sandbox.book import TokenBook
from ingestion.sandbox.chain import FINALITY_MS, ChainTx, slot_at
from ingestion.sandbox.faults import RPC_METHODS
from ingestion.sandbox.keys import is_address, is_signature
from ingestion.sandbox.state import STATE, SandboxState, canned_response, json_response
from ingestion.sandbox.transactions import render_transaction

API_VERSION = "3.1.9"
MAX_SIGNATURES, MAX_ACCOUNTS = 1000, 100
HANG_MAX_S = 60.0
COMMITMENTS = ("processed", "confirmed", "finalized")
ENCODINGS = ("jsonParsed", "base64")
PRUNED = {
    "skipped": (-32007, "Slot {} was skipped, or missing due to ledger jump to recent snapshot"),
    "missing": (-32009, "Slot {} was skipped, or missing in long-term storage"),
}
NOT_A_MINT = "Invalid param: not a Token mint"
NO_ACCOUNT = "Invalid param: could not find account"
NO_INDEX = "excluded from account secondary indexes; this RPC method unavailable for key"
BAD_FILTER = 'Invalid params: the filter is {"mint": <address>} or {"programId": <address>}'
ACCOUNT_ENCODINGS = "the sandbox serves encoding jsonParsed or base64"
TRANSACTION_ENCODING = "the sandbox serves encoding jsonParsed"
UNSUPPORTED_VERSION = (
    "Transaction version (0) is not supported by the requesting client. Please try the "
    'request again with the following configuration parameter: "maxSupportedTransactionVersion": 0'
)


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid(message: str) -> RpcError:
    return RpcError(-32602, message)


@dataclass
class Call:
    """One JSON-RPC call against the chain at one instant."""

    state: SandboxState
    now_ms: int
    params: list[Any]

    def arg(self, index: int) -> Any:
        return self.params[index] if index < len(self.params) else None

    def config(self, index: int) -> dict[str, Any]:
        found = self.arg(index)
        if found is None:
            return {}
        if not isinstance(found, dict):
            raise invalid("Invalid params: the configuration must be an object")
        return found

    def address(self, index: int) -> str:
        value = self.arg(index)
        if not isinstance(value, str):
            raise invalid("Invalid params: invalid type, expected a base58 string")
        if not is_address(value):
            raise invalid("Invalid param: Invalid")
        return value

    def visible_ms(self, config: dict[str, Any], *, confirmed_at_least: bool = False) -> int:
        """The instant this commitment sees; minContextSlot ahead of it is refused."""
        commitment = config.get("commitment", "finalized")
        if commitment not in COMMITMENTS:
            raise invalid(f"Invalid params: unknown commitment {commitment!r}")
        if confirmed_at_least and commitment == "processed":
            raise invalid("Method does not support commitment below `confirmed`")
        at = self.now_ms - FINALITY_MS if commitment == "finalized" else self.now_ms
        minimum = config.get("minContextSlot")
        if isinstance(minimum, int) and minimum > slot_at(at):
            raise RpcError(
                -32016, "Minimum context slot has not been reached", {"contextSlot": slot_at(at)}
            )
        return at

    def encoding(self, config: dict[str, Any]) -> str:
        encoding = config.get("encoding")
        if encoding not in ENCODINGS:
            raise invalid(f"Invalid params: {ACCOUNT_ENCODINGS}, not {encoding!r}")
        return str(encoding)

    def with_context(self, at_ms: int, value: Any) -> dict[str, Any]:
        return {"context": {"apiVersion": API_VERSION, "slot": slot_at(at_ms)}, "value": value}

    def coin(self, mint: str, at_ms: int) -> TokenBook:
        """The book of a mint that exists at `at_ms`, as getTokenSupply & co. require."""
        chain = self.state.chain
        kind = chain.entities.get(mint, ("", ""))[0]
        book = chain.book(mint) if kind == "mint" else None
        if book is None or at_ms < book.launch.created_ms:
            raise invalid(NOT_A_MINT if kind else NO_ACCOUNT)
        return book


def get_account_info(call: Call) -> Any:
    address, config = call.address(0), call.config(1)
    at, encoding = call.visible_ms(config), call.encoding(config)
    return call.with_context(at, account_value(call.state.chain, address, at, encoding))


def get_multiple_accounts(call: Call) -> Any:
    addresses, config = call.arg(0), call.config(1)
    if not isinstance(addresses, list):
        raise invalid("Invalid params: expected an array of addresses")
    if len(addresses) > MAX_ACCOUNTS:
        raise invalid(f"Too many inputs provided; max {MAX_ACCOUNTS}")
    keys = [Call(call.state, call.now_ms, [address]).address(0) for address in addresses]
    at, encoding = call.visible_ms(config), call.encoding(config)
    chain = call.state.chain
    return call.with_context(at, [account_value(chain, key, at, encoding) for key in keys])


def get_token_supply(call: Call) -> Any:
    mint, at = call.address(0), call.visible_ms(call.config(1))
    return call.with_context(at, supply_value(call.coin(mint, at), at))


def get_token_largest_accounts(call: Call) -> Any:
    mint, at = call.address(0), call.visible_ms(call.config(1))
    book = call.coin(mint, at)
    if call.state.faults.settings.rpc_no_token_index:
        raise RpcError(-32010, f"{book.program_id} {NO_INDEX}")
    return call.with_context(at, largest_accounts(book, at))


def get_token_accounts_by_owner(call: Call) -> Any:
    owner, wanted, config = call.address(0), call.arg(1), call.config(2)
    if not isinstance(wanted, dict) or len(wanted) != 1 or not {"mint", "programId"} & set(wanted):
        raise invalid(BAD_FILTER)
    key = Call(call.state, call.now_ms, list(wanted.values())).address(0)
    at, encoding = call.visible_ms(config), call.encoding(config)
    mint, program = (key, None) if "mint" in wanted else (None, key)
    try:
        found = accounts_by_owner(
            call.state.chain, owner, mint=mint, program=program, at_ms=at, encoding=encoding
        )
    except AccountError as error:
        raise invalid(str(error)) from error
    return call.with_context(at, found)


def _cursor(value: Any) -> str | None:
    if value is None:
        return None
    if not is_signature(value):
        raise invalid("Invalid param: Invalid")
    return str(value)


def get_signatures_for_address(call: Call) -> Any:
    address, config = call.address(0), call.config(1)
    limit = config.get("limit", MAX_SIGNATURES)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_SIGNATURES:
        raise invalid(f"Invalid limit; max {MAX_SIGNATURES}")
    before, until = _cursor(config.get("before")), _cursor(config.get("until"))
    visible = slot_at(call.visible_ms(config, confirmed_at_least=True))
    chain, settings = call.state.chain, call.state.faults.settings
    if before is not None and _pruned(call, chain.visible_tx(before, visible)):
        _prune([], [chain.txs[before]], settings.rpc_history_mode)
        return []
    page = chain.signatures(address, visible_slot=visible, before=before, until=until, limit=limit)
    kept = [tx for tx in page if not _pruned(call, tx)]
    if len(kept) < len(page):
        kept = _prune(kept, page[len(kept) :], settings.rpc_history_mode)
    finalized = slot_at(call.now_ms - FINALITY_MS)
    timeless_after = call.now_ms - settings.rpc_block_time_lag_s * 1000
    return [
        {
            "blockTime": tx.block_time if tx.at_ms <= timeless_after else None,
            "confirmationStatus": "finalized" if tx.slot <= finalized else "confirmed",
            "err": tx.err,
            "memo": tx.memo,
            "signature": tx.signature,
            "slot": tx.slot,
            "transactionIndex": tx.index,
        }
        for tx in kept
    ]


def _pruned(call: Call, tx: ChainTx | None) -> bool:
    horizon = call.state.faults.settings.rpc_history_horizon_s
    return bool(horizon) and tx is not None and tx.at_ms < call.now_ms - horizon * 1000


def _prune(kept: list[ChainTx], lost: list[ChainTx], mode: str) -> list[ChainTx]:
    """Beyond the history horizon: the list just ends, or the node says the slot is gone."""
    if mode == "empty":
        return kept
    code, message = PRUNED[mode]
    raise RpcError(code, message.format(lost[0].slot))


def get_transaction(call: Call) -> Any:
    signature = _cursor(call.arg(0))
    if signature is None:
        raise invalid("Invalid params: expected a signature")
    raw = call.arg(1)
    config = {"encoding": raw} if isinstance(raw, str) else call.config(1)
    encoding = config.get("encoding", "json")
    if encoding != "jsonParsed":
        raise invalid(f"Invalid params: {TRANSACTION_ENCODING}, not {encoding!r}")
    visible = slot_at(call.visible_ms(config, confirmed_at_least=True))
    tx = call.state.chain.visible_tx(signature, visible)
    if tx is None:
        return None
    if _pruned(call, tx):
        _prune([], [tx], call.state.faults.settings.rpc_history_mode)
        return None
    version = config.get("maxSupportedTransactionVersion")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise RpcError(-32015, UNSUPPORTED_VERSION)
    return render_transaction(call.state.chain, tx)


def get_health(call: Call) -> Any:
    return "ok"


def get_slot(call: Call) -> Any:
    return slot_at(call.visible_ms(call.config(0)))


METHODS: dict[str, Callable[[Call], Any]] = {
    "getAccountInfo": get_account_info,
    "getMultipleAccounts": get_multiple_accounts,
    "getTokenSupply": get_token_supply,
    "getTokenLargestAccounts": get_token_largest_accounts,
    "getTokenAccountsByOwner": get_token_accounts_by_owner,
    "getSignaturesForAddress": get_signatures_for_address,
    "getTransaction": get_transaction,
    "getHealth": get_health,
    "getSlot": get_slot,
}
assert tuple(METHODS) == RPC_METHODS


def _reply(
    request_id: Any, result: Any = None, error: dict[str, Any] | None = None
) -> dict[str, Any]:
    if error is not None:
        return {"jsonrpc": "2.0", "error": error, "id": request_id}
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


def answer(state: SandboxState, call: Any, now_ms: int) -> dict[str, Any]:
    """One call's response object: its result, or the error a node (or a fault) gives."""
    request_id = call.get("id") if isinstance(call, dict) else None
    if (
        not isinstance(call, dict)
        or call.get("jsonrpc") != "2.0"
        or not isinstance(call.get("method"), str)
    ):
        return _failed(state, request_id, RpcError(-32600, "Invalid request"))
    method, params = call["method"], call.get("params", [])
    state.stats.rpc_calls[method] += 1
    handler = METHODS.get(method)
    if handler is None:
        return _failed(state, request_id, RpcError(-32601, "Method not found"))
    if not isinstance(params, list):
        return _failed(state, request_id, invalid("Invalid params: expected an array"))
    injected = state.faults.rpc_error(method)
    if injected is not None:
        state.stats.rpc_errors[injected["code"]] += 1
        return _reply(request_id, error=injected)
    try:
        return _reply(request_id, handler(Call(state, now_ms, params)))
    except RpcError as error:
        return _failed(state, request_id, error)


def _failed(state: SandboxState, request_id: Any, error: RpcError) -> dict[str, Any]:
    state.stats.rpc_errors[error.code] += 1
    return _reply(request_id, error=error.body())


async def _hang(request: web.Request) -> None:
    """Answer nothing until the client hangs up (or a minute passes)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + HANG_MAX_S
    while loop.time() < until:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(0.05)


async def solana_rpc(request: web.Request) -> web.StreamResponse:
    """POST /solana."""
    state = request.app[STATE]
    stats, faults = state.stats, state.faults
    stats.rpc_requests += 1
    delay = faults.rpc_latency_s()
    if delay:
        stats.rpc_latency_added_ms += round(delay * 1000)
        await asyncio.sleep(delay)
    if faults.rpc_hang():
        stats.rpc_hung += 1
        await _hang(request)
        return _counted(state, web.Response(status=504, text="Gateway Timeout"))
    try:
        payload = json.loads(await request.read())
    except ValueError:
        return _counted(state, json_response(_failed(state, None, RpcError(-32700, "Parse error"))))
    first = payload[0] if isinstance(payload, list) and payload else payload
    limited = faults.rpc_rate_limit(
        time.monotonic(), first.get("id") if isinstance(first, dict) else None
    )
    if limited is not None:
        return _counted(state, canned_response(limited))
    now = state.clock.now_ms()
    state.chain.sync(now)
    if isinstance(payload, list):
        if not payload:
            empty = _failed(state, None, RpcError(-32600, "Invalid request"))
            return _counted(state, json_response(empty))
        return _counted(state, json_response([answer(state, call, now) for call in payload]))
    return _counted(state, json_response(answer(state, payload, now)))


def _counted(state: SandboxState, response: web.Response) -> web.Response:
    state.stats.rpc_statuses[response.status] += 1
    return response
