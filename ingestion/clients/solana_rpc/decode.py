"""Reading answers into the typed shapes, or a ``SolanaRpcShapeError`` naming what was wrong."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..solana_address import parse_address, parse_signature
from .errors import SolanaRpcError, SolanaRpcShapeError
from .shapes import (
    TOKEN_PROGRAMS,
    AccountInfo,
    MintAccount,
    ParsedTransaction,
    SignatureInfo,
    TokenAccountBalance,
)

# field of which method was wrong.


def describe(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {str(value)[:60]!r}"


def read_object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SolanaRpcShapeError(f"{where}: expected an object, got {describe(value)}")
    return value


def read_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SolanaRpcShapeError(f"{where}: expected a list, got {describe(value)}")
    return value


def read_member(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise SolanaRpcShapeError(f"{where}.{key} is missing")
    return obj[key]


def read_count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SolanaRpcShapeError(f"{where}: expected a count, got {describe(value)}")
    return value


def read_optional_count(value: Any, where: str) -> int | None:
    return None if value is None else read_count(value, where)


def read_amount(value: Any, where: str) -> int:
    """A raw token amount: a decimal string of digits (a number is tolerated)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 40:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise SolanaRpcShapeError(f"{where}: expected a decimal amount, got {describe(value)}")


def read_optional_text(value: Any, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise SolanaRpcShapeError(f"{where}: expected a string, got {describe(value)}")
    return value


def read_address(value: Any, where: str) -> str:
    try:
        return parse_address(value)
    except ValueError:
        raise SolanaRpcShapeError(f"{where}: expected an address, got {describe(value)}") from None


def read_optional_address(value: Any, where: str) -> str | None:
    return None if value is None else read_address(value, where)


def read_signature(value: Any, where: str) -> str:
    try:
        return parse_signature(value)
    except ValueError:
        raise SolanaRpcShapeError(f"{where}: expected a signature, got {describe(value)}") from None


def read_context_value(result: Any, method: str) -> tuple[int, Any]:
    answer = read_object(result, f"{method} result")
    context = read_object(read_member(answer, "context", f"{method} result"), f"{method} context")
    slot = read_count(read_member(context, "slot", f"{method} context"), f"{method} context.slot")
    return slot, read_member(answer, "value", f"{method} result")


def read_account(address: str, value: Any, slot: int, where: str) -> AccountInfo:
    account = read_object(value, where)
    data = account.get("data")
    parsed = data.get("parsed") if isinstance(data, dict) else None
    program = data.get("program") if isinstance(data, dict) else None
    info = parsed.get("info") if isinstance(parsed, dict) else None
    parsed_type = parsed.get("type") if isinstance(parsed, dict) else None
    executable = account.get("executable", False)
    if not isinstance(executable, bool):
        raise SolanaRpcShapeError(f"{where}.executable: expected a boolean")
    return AccountInfo(
        address=address,
        owner=read_address(read_member(account, "owner", where), f"{where}.owner"),
        lamports=read_count(read_member(account, "lamports", where), f"{where}.lamports"),
        executable=executable,
        program=read_optional_text(program, f"{where}.data.program"),
        parsed_type=read_optional_text(parsed_type, f"{where}.data.parsed.type"),
        info=MappingProxyType(dict(read_object(info, f"{where}.data.parsed.info")) if info else {}),
        space=read_optional_count(account.get("space"), f"{where}.space"),
        slot=slot,
        raw=_raw_data(data, where),
    )


def _raw_data(data: Any, where: str) -> bytes | None:
    """The bytes of ``data`` when the node sent them as ``[text, "base64"]``."""
    if not isinstance(data, list) or len(data) != 2 or data[1] != "base64":
        return None
    if not isinstance(data[0], str):
        raise SolanaRpcShapeError(f"{where}.data: expected base64 text")
    try:
        return base64.b64decode(data[0], validate=True)
    except binascii.Error as error:
        raise SolanaRpcShapeError(f"{where}.data: not base64 ({error})") from error


def parse_mint(account: AccountInfo) -> MintAccount:
    """The mint an account holds; SolanaRpcError ``invalid`` when it is not a token mint.

    The authorities must be present (null when revoked): an answer that leaves them out says
    nothing about them, and reading that as "revoked" would hide a live authority.
    """
    if account.owner not in TOKEN_PROGRAMS or account.parsed_type != "mint":
        raise SolanaRpcError(
            "invalid", f"{account.address} is not a token mint (owner {account.owner})"
        )
    where = f"mint {account.address}"
    info = account.info
    initialized = info.get("isInitialized")
    names: list[str] = []
    states: dict[str, Mapping[str, Any]] = {}
    for index, item in enumerate(read_list(info.get("extensions", []), f"{where}.extensions")):
        entry = read_object(item, f"{where}.extensions[{index}]")
        name = read_member(entry, "extension", f"{where}.extensions[{index}]")
        if not isinstance(name, str):
            raise SolanaRpcShapeError(f"{where}.extensions[{index}].extension: not a string")
        names.append(name)
        state = entry.get("state") or {}
        states[name] = MappingProxyType(dict(read_object(state, f"{where}.{name}.state")))
    return MintAccount(
        address=account.address,
        program_id=account.owner,
        mint_authority=read_optional_address(
            read_member(info, "mintAuthority", where), f"{where}.mintAuthority"
        ),
        freeze_authority=read_optional_address(
            read_member(info, "freezeAuthority", where), f"{where}.freezeAuthority"
        ),
        supply=read_amount(read_member(info, "supply", where), f"{where}.supply"),
        decimals=read_count(read_member(info, "decimals", where), f"{where}.decimals"),
        is_initialized=initialized if isinstance(initialized, bool) else None,
        extensions=tuple(names),
        extension_states=MappingProxyType(states),
        slot=account.slot,
    )


def parse_token_account(account: AccountInfo) -> TokenAccountBalance:
    """The balance a token account holds; SolanaRpcError ``invalid`` when it is not one."""
    if account.owner not in TOKEN_PROGRAMS or account.parsed_type != "account":
        raise SolanaRpcError(
            "invalid", f"{account.address} is not a token account (owner {account.owner})"
        )
    where = f"token account {account.address}"
    amount = read_object(read_member(account.info, "tokenAmount", where), f"{where}.tokenAmount")
    return TokenAccountBalance(
        address=account.address,
        amount=read_amount(read_member(amount, "amount", where), f"{where}.tokenAmount.amount"),
        decimals=read_optional_count(amount.get("decimals"), f"{where}.tokenAmount.decimals"),
        mint=read_address(read_member(account.info, "mint", where), f"{where}.mint"),
        owner=read_address(read_member(account.info, "owner", where), f"{where}.owner"),
    )


def read_signature_info(item: Any, where: str) -> SignatureInfo:
    entry = read_object(item, where)
    err = entry.get("err")
    return SignatureInfo(
        signature=read_signature(read_member(entry, "signature", where), f"{where}.signature"),
        slot=read_count(read_member(entry, "slot", where), f"{where}.slot"),
        block_time=read_optional_count(entry.get("blockTime"), f"{where}.blockTime"),
        failed=err is not None,
        err=err,
        memo=read_optional_text(entry.get("memo"), f"{where}.memo"),
        confirmation_status=read_optional_text(
            entry.get("confirmationStatus"), f"{where}.confirmationStatus"
        ),
    )


def _instructions(value: Any, where: str) -> tuple[Mapping[str, Any], ...]:
    items = read_list(value, where)
    return tuple(read_object(item, f"{where}[{index}]") for index, item in enumerate(items))


def _account_key(item: Any, where: str) -> str:
    # jsonParsed lists {pubkey, signer, source, writable}; the plain json encoding bare strings.
    return read_address(item.get("pubkey") if isinstance(item, dict) else item, where)


def read_transaction(result: Any, where: str) -> ParsedTransaction:
    answer = read_object(result, where)
    transaction = read_object(read_member(answer, "transaction", where), f"{where}.transaction")
    signatures = read_list(read_member(transaction, "signatures", where), f"{where}.signatures")
    message = read_object(read_member(transaction, "message", where), f"{where}.message")
    keys = read_list(read_member(message, "accountKeys", where), f"{where}.message.accountKeys")
    meta = read_object(answer.get("meta") or {}, f"{where}.meta")
    inner: dict[int, tuple[Mapping[str, Any], ...]] = {}
    for index, item in enumerate(read_list(meta.get("innerInstructions") or [], f"{where}.inner")):
        group = read_object(item, f"{where}.innerInstructions[{index}]")
        outer = read_count(
            read_member(group, "index", where), f"{where}.innerInstructions[{index}].index"
        )
        inner[outer] = _instructions(group.get("instructions", []), f"{where}.inner[{outer}]")
    logs = meta.get("logMessages")
    if logs is not None and not all(isinstance(line, str) for line in read_list(logs, where)):
        raise SolanaRpcShapeError(f"{where}.meta.logMessages: not a list of strings")
    version = answer.get("version")
    if version is not None and not isinstance(version, int | str):
        raise SolanaRpcShapeError(f"{where}.version: expected a number or 'legacy'")
    err = meta.get("err")
    return ParsedTransaction(
        signature=read_signature(signatures[0] if signatures else None, f"{where}.signatures[0]"),
        slot=read_count(read_member(answer, "slot", where), f"{where}.slot"),
        block_time=read_optional_count(answer.get("blockTime"), f"{where}.blockTime"),
        version=version,
        failed=err is not None,
        err=err,
        account_keys=tuple(
            _account_key(key, f"{where}.accountKeys[{i}]") for i, key in enumerate(keys)
        ),
        instructions=_instructions(message.get("instructions", []), f"{where}.instructions"),
        inner_instructions=MappingProxyType(inner),
        log_messages=None if logs is None else tuple(logs),
        raw=MappingProxyType(dict(answer)),
    )
