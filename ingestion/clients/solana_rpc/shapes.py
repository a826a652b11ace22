"""The typed answers: small frozen dataclasses built from the node's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Program addresses, public by nature: the "token" in their names is an SPL token, not a secret.
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"  # noqa: S105
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"  # noqa: S105
TOKEN_PROGRAMS = frozenset({TOKEN_PROGRAM, TOKEN_2022_PROGRAM})


@dataclass(frozen=True)
class AccountInfo:
    """One account as ``jsonParsed`` shows it; ``info`` is ``data.parsed.info`` (empty when the
    node could not parse the data and sent bytes instead, then in ``raw``). ``slot`` is the
    answer's context."""

    address: str
    owner: str
    lamports: int
    executable: bool
    program: str | None
    parsed_type: str | None
    info: Mapping[str, Any]
    space: int | None
    slot: int
    raw: bytes | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class MintAccount:
    """A token mint: who may still mint or freeze, the raw supply, and its Token-2022 extensions
    in the node's camelCase names, each with its decoded state."""

    address: str
    program_id: str
    mint_authority: str | None
    freeze_authority: str | None
    supply: int
    decimals: int
    is_initialized: bool | None
    extensions: tuple[str, ...]
    extension_states: Mapping[str, Mapping[str, Any]]
    slot: int

    @property
    def is_token_2022(self) -> bool:
        return self.program_id == TOKEN_2022_PROGRAM


@dataclass(frozen=True)
class TokenAccountBalance:
    """A token account's raw balance. ``owner`` and ``mint`` are None when the method does not
    say (getTokenLargestAccounts names token accounts only)."""

    address: str
    amount: int
    decimals: int | None = None
    mint: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class TokenSupply:
    amount: int
    decimals: int
    slot: int


@dataclass(frozen=True)
class SignatureInfo:
    """One entry of getSignaturesForAddress; failed transactions are listed too (``failed``)."""

    signature: str
    slot: int
    block_time: int | None
    failed: bool
    err: Any
    memo: str | None
    confirmation_status: str | None


@dataclass(frozen=True)
class ParsedTransaction:
    """A confirmed transaction in ``jsonParsed`` form. Instructions stay the node's dicts: the
    caller decodes the ones it knows (pump.fun's stay raw: programId, accounts, data).
    ``log_messages`` is None when the node recorded none, which is not the same as no logs."""

    signature: str
    slot: int
    block_time: int | None
    version: int | str | None
    failed: bool
    err: Any
    account_keys: tuple[str, ...]
    instructions: tuple[Mapping[str, Any], ...]
    inner_instructions: Mapping[int, tuple[Mapping[str, Any], ...]]
    log_messages: tuple[str, ...] | None
    raw: Mapping[str, Any] = field(compare=False, repr=False)
