"""pump.fun graduations read out of a confirmed transaction (getTransaction, jsonParsed).

Every migration writes to pump.fun's migration account, so listing that account's signatures
finds them all, together with noise: failed calls, ``migrate`` on a curve that already
graduated (it succeeds and does nothing), other pump.fun bookkeeping, and transactions that
send the account a lamport to look like migrations. A transaction counts as a graduation only
when, having succeeded, it holds a pump.fun ``migrate`` or ``migrate_v2`` instruction (top-level
or called by another program) followed in the same call tree by PumpSwap's ``create_pool`` for
the same mint. The mint is the instruction's third account. Logs are not relied on: the node
may truncate them, and a look-alike program can print the same lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import base58

from .solana_address import is_valid_address
from .solana_rpc import ParsedTransaction

PUMP_PROGRAM = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
PUMP_AMM_PROGRAM = "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"
# pump.fun's withdraw authority: writable in every migrate and migrate_v2 (account index 1).
MIGRATION_ACCOUNT = "39azUYFWPz3VHgKCf3VChUwbpURdCHRxjWVowf5jUJjg"
# Anchor discriminators: the first 8 bytes of sha256("global:<instruction name>").
INSTRUCTIONS = {
    bytes([155, 234, 231, 146, 236, 158, 162, 30]): "migrate",
    bytes([187, 203, 18, 31, 206, 237, 254, 41]): "migrate_v2",
}
CREATE_POOL = bytes([233, 146, 209, 142, 207, 104, 64, 188])
MINT_INDEX = 2  # of migrate and migrate_v2 (base_mint)
POOL_INDEX, POOL_BASE_MINT_INDEX = 0, 3  # of PumpSwap's create_pool
ALREADY_MIGRATED_LOG = "Program log: Bonding curve already migrated"
# An instruction's data is short (8 bytes for migrate, 8+58 for create_pool); base58 decoding
# is quadratic, so longer text is not decoded at all.
MAX_DATA_CHARS = 512

Verdict = Literal["migration", "failed", "no_op", "not_migration"]


@dataclass(frozen=True)
class Graduation:
    """One graduation found on chain: the coin, the instruction that did it, its PumpSwap pool."""

    signature: str
    mint: str
    instruction: str  # migrate | migrate_v2
    pool: str | None
    slot: int
    block_time: int | None


@dataclass(frozen=True)
class MigrationReading:
    """What a transaction is to the reconciler: ``migrations`` is empty unless the verdict is
    ``migration``; ``reason`` says why not, in a few words for the logs."""

    verdict: Verdict
    migrations: tuple[Graduation, ...] = ()
    reason: str = ""


def read_migrations(tx: ParsedTransaction) -> MigrationReading:
    """The graduations a transaction performed, or why it performed none."""
    if tx.failed:
        return MigrationReading("failed", reason=f"failed: {tx.err!r:.80}")
    found: list[Graduation] = []
    calls = 0
    for stream in _call_trees(tx):
        for position, instruction in enumerate(stream):
            name = _pump_instruction(instruction)
            if name is None:
                continue
            calls += 1
            mint = _account(instruction, MINT_INDEX)
            created = _pool_creation(stream[position + 1 :], mint)
            if mint is not None and created is not None:
                pool = _account(created, POOL_INDEX)
                found.append(Graduation(tx.signature, mint, name, pool, tx.slot, tx.block_time))
    if found:
        return MigrationReading("migration", tuple(_unique(found)))
    if not calls:
        return MigrationReading("not_migration", reason="no pump.fun migrate instruction")
    if tx.log_messages is not None and ALREADY_MIGRATED_LOG in tx.log_messages:
        return MigrationReading("no_op", reason="bonding curve already migrated")
    return MigrationReading("no_op", reason="migrate created no PumpSwap pool")


def _call_trees(tx: ParsedTransaction) -> Iterator[Sequence[Mapping[str, Any]]]:
    """Each top-level instruction followed by the instructions it invoked, in order."""
    for index, instruction in enumerate(tx.instructions):
        yield (instruction, *tx.inner_instructions.get(index, ()))


def _pump_instruction(instruction: Mapping[str, Any]) -> str | None:
    if instruction.get("programId") != PUMP_PROGRAM:
        return None
    return INSTRUCTIONS.get(_discriminator(instruction))


def _pool_creation(
    after: Sequence[Mapping[str, Any]], mint: str | None
) -> Mapping[str, Any] | None:
    """The first PumpSwap create_pool for ``mint`` among ``after``."""
    for instruction in after:
        if instruction.get("programId") != PUMP_AMM_PROGRAM:
            continue
        if _discriminator(instruction) != CREATE_POOL:
            continue
        if mint is not None and _account(instruction, POOL_BASE_MINT_INDEX) == mint:
            return instruction
    return None


def _discriminator(instruction: Mapping[str, Any]) -> bytes:
    data = instruction.get("data")
    if not isinstance(data, str) or len(data) > MAX_DATA_CHARS:
        return b""
    try:
        return base58.b58decode(data)[:8]
    except ValueError:
        return b""


def _account(instruction: Mapping[str, Any], index: int) -> str | None:
    accounts = instruction.get("accounts")
    if not isinstance(accounts, list) or len(accounts) <= index:
        return None
    account = accounts[index]
    return account if is_valid_address(account) else None


def _unique(found: list[Graduation]) -> Iterator[Graduation]:
    seen: set[str] = set()
    for migration in found:
        if migration.mint not in seen:
            seen.add(migration.mint)
            yield migration
