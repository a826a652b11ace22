"""pump.fun's migration account as a loopback Solana node shows it, in the real answer shapes.

Transactions are built the way getTransaction (jsonParsed, maxSupportedTransactionVersion 0)
returns them: account keys as {pubkey, signer, source, writable}, pump.fun and PumpSwap
instructions raw ({programId, accounts, data, stackHeight}), system ones parsed, the calls they
make under meta.innerInstructions, token balances and logs. The accounts of migrate_v2 follow
pump.fun's IDL (29 of them, the mint third), with the curve, pool authority and pool derived as
the programs derive them. Pure: no Django.
"""

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import base58
from solders.pubkey import Pubkey

from ingestion.clients.pump_migrations import (
    CREATE_POOL,
    MIGRATION_ACCOUNT,
    PUMP_AMM_PROGRAM,
    PUMP_PROGRAM,
)
from ingestion.clients.ratelimit import LocalTokenBucket
from ingestion.clients.solana_address import is_valid_address
from ingestion.clients.solana_rpc import SolanaRpcClient
from tests.ingestion.clients.solana_node import (
    FakeSolanaNode,
    make_address,
    make_signature,
    serve,
    signature_page,
)

MIGRATE = bytes([155, 234, 231, 146, 236, 158, 162, 30])
MIGRATE_V2 = bytes([187, 203, 18, 31, 206, 237, 254, 41])
WSOL = "So11111111111111111111111111111111111111112"
SYSTEM = "11111111111111111111111111111111"
TOKEN_2022 = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111"
PUMP_GLOBAL = "4wTV1YmiEkRvAtNtsSGPtUrqRYQMe5SKy2uB4Jjaxnjf"
POOL_TOKENS = 206_900_000_000_000  # what a graduation moves into the pool's base vault


def pda(program: str, *seeds: bytes) -> str:
    return str(Pubkey.find_program_address(list(seeds), Pubkey.from_string(program))[0])


def key(address: str) -> bytes:
    return bytes(Pubkey.from_string(address))


def coin(seed: object) -> str:
    """A mint ending in "pump" like most pump.fun coins (a valid 32-byte key)."""
    for attempt in range(100):
        text = (
            base58.b58encode(hashlib.sha256(f"coin-{seed}-{attempt}".encode()).digest()).decode()[
                :-4
            ]
            + "pump"
        )
        if is_valid_address(text):
            return text
    raise AssertionError(f"no coin address for {seed!r}")


def signature_entry(
    signature: str, slot: int, block_time: int | None, err: Any = None, memo: str | None = None
) -> dict[str, Any]:
    return {
        "blockTime": block_time,
        "confirmationStatus": "finalized",
        "err": err,
        "memo": memo,
        "signature": signature,
        "slot": slot,
    }


def raw(program: str, accounts: list[str], data: bytes, height: int | None) -> dict[str, Any]:
    return {
        "accounts": accounts,
        "data": base58.b58encode(data).decode(),
        "programId": program,
        "stackHeight": height,
    }


def migrate_accounts(mint: str, user: str) -> list[str]:
    """migrate_v2's 29 accounts in the IDL's order: global, withdraw authority, base mint, ..."""
    curve = pda(PUMP_PROGRAM, b"bonding-curve", key(mint))
    authority = pda(PUMP_PROGRAM, b"pool-authority", key(mint))
    pool = pool_of(mint)
    names = ["curve-ata", "curve-quote", "auth-mint", "auth-quote", "config", "lp", "lp-ata"]
    filler = {name: make_address(f"{name}-{mint}") for name in names}
    return [
        PUMP_GLOBAL, MIGRATION_ACCOUNT, mint, WSOL, curve, filler["curve-ata"],
        filler["curve-quote"], user, SYSTEM, PUMP_AMM_PROGRAM, pool, authority,
        filler["auth-mint"], filler["auth-quote"], filler["config"], filler["lp"],
        filler["lp-ata"], make_address(f"base-vault-{mint}"), make_address(f"quote-{mint}"),
        TOKEN_2022, "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", TOKEN_2022,
        "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL", make_address("amm-events"),
        "SysvarRent111111111111111111111111111111111", make_address("pump-events"), PUMP_PROGRAM,
        make_address(f"boost-{mint}"), make_address(f"boost-ata-{mint}"),
    ]  # fmt: skip


def pool_of(mint: str) -> str:
    authority = pda(PUMP_PROGRAM, b"pool-authority", key(mint))
    seeds = (b"pool", (0).to_bytes(2, "little"), key(authority), key(mint), key(WSOL))
    return pda(PUMP_AMM_PROGRAM, *seeds)


def create_pool(mint: str, height: int) -> dict[str, Any]:
    authority = pda(PUMP_PROGRAM, b"pool-authority", key(mint))
    accounts = [pool_of(mint), make_address("config"), authority, mint, WSOL]
    accounts += [make_address(f"pool-account-{mint}-{i}") for i in range(13)]
    data = CREATE_POOL + (0).to_bytes(2, "little") + POOL_TOKENS.to_bytes(8, "little")
    return raw(PUMP_AMM_PROGRAM, accounts, data + (84_990_359_301).to_bytes(8, "little"), height)


@dataclass
class Tx:
    """One transaction touching the migration account, and how the node lists it."""

    signature: str
    slot: int
    block_time: int | None
    body: dict[str, Any] | None  # None: listed, but getTransaction answers null
    err: Any = None

    @property
    def entry(self) -> dict[str, Any]:
        return signature_entry(self.signature, self.slot, self.block_time, self.err)


def _transaction(
    signature: str,
    slot: int,
    block_time: int | None,
    signer: str,
    instructions: list[dict[str, Any]],
    inner: list[dict[str, Any]],
    logs: list[str],
    err: Any = None,
) -> dict[str, Any]:
    keys = [signer, MIGRATION_ACCOUNT, COMPUTE_BUDGET, PUMP_PROGRAM]
    return {
        "blockTime": block_time,
        "meta": {
            "computeUnitsConsumed": 162_000,
            "err": err,
            "fee": 105_000,
            "innerInstructions": inner,
            "loadedAddresses": {"readonly": [], "writable": []},
            "logMessages": logs,
            "postBalances": [1_000_000_000, 8_900_000, 1, 1],
            "postTokenBalances": [],
            "preBalances": [1_000_105_000, 0, 1, 1],
            "preTokenBalances": [],
            "rewards": [],
            "status": {"Ok": None} if err is None else {"Err": err},
        },
        "slot": slot,
        "transaction": {
            "message": {
                "accountKeys": [
                    {"pubkey": k, "signer": i == 0, "source": "transaction", "writable": i < 2}
                    for i, k in enumerate(keys)
                ],
                "addressTableLookups": [],
                "instructions": instructions,
                "recentBlockhash": make_address(f"blockhash-{slot}"),
            },
            "signatures": [signature],
        },
        "version": 0,
    }


COMPUTE = raw(COMPUTE_BUDGET, [], bytes([2, 0x80, 0x1A, 0x06, 0x00]), None)


def graduation(seed: object, slot: int, block_time: int | None, **options: Any) -> Tx:
    """A migrate_v2 (or, with ``v1=True``, a migrate) that graduates ``coin(seed)``.

    ``err`` makes it fail (the race lost: 6040); ``no_op`` calls it on a curve already
    migrated; ``via`` has another program call pump.fun; ``truncated`` cuts the logs.
    """
    mint, signature = options.get("mint") or coin(seed), make_signature(f"tx-{seed}")
    user = make_address(f"user-{seed}")
    data = MIGRATE if options.get("v1") else MIGRATE_V2
    name = "Migrate" if options.get("v1") else "MigrateV2"
    err = {"InstructionError": [1, {"Custom": 6040}]} if options.get("err") else None
    via = options.get("via")
    height = 2 if via else None
    migrate = raw(PUMP_PROGRAM, migrate_accounts(mint, user), data, height)
    calls = [] if options.get("no_op") or err else [create_pool(mint, (height or 1) + 1)]
    logs = [f"Program {PUMP_PROGRAM} invoke [{height or 1}]", f"Program log: Instruction: {name}"]
    if options.get("no_op"):
        logs.append("Program log: Bonding curve already migrated")
    if options.get("truncated"):
        logs = [*logs[:1], "Log truncated"]
    if via:
        top = [COMPUTE, raw(via, [user, MIGRATION_ACCOUNT, mint], b"\x07", None)]
        inner = [{"index": 1, "instructions": [migrate, *calls]}]
    else:
        top = [COMPUTE, migrate]
        inner = [{"index": 1, "instructions": calls}] if calls else []
    body = _transaction(signature, slot, block_time, user, top, inner, logs, err)
    return Tx(signature, slot, block_time, body, err)


def spoof(seed: object, slot: int, block_time: int, mint: str | None = None) -> Tx:
    """One lamport to the migration account and a look-alike program "migrating" a mint."""
    signature, user = make_signature(f"spoof-{seed}"), make_address(f"spoofer-{seed}")
    lookalike = make_address(f"lookalike-{seed}")
    transfer = {
        "parsed": {
            "info": {"destination": MIGRATION_ACCOUNT, "lamports": 1, "source": user},
            "type": "transfer",
        },
        "program": "system",
        "programId": SYSTEM,
        "stackHeight": None,
    }
    fake = raw(lookalike, migrate_accounts(mint or coin(f"spoofed-{seed}"), user), MIGRATE, None)
    logs = [f"Program {lookalike} invoke [1]", "Program log: Instruction: Migrate"]
    body = _transaction(signature, slot, block_time, user, [COMPUTE, transfer, fake], [], logs)
    return Tx(signature, slot, block_time, body)


@dataclass
class Chain:
    """The migration account's history, newest first, served by a FakeSolanaNode."""

    txs: list[Tx] = field(default_factory=list)
    read_delay: float = 0.0

    def add(self, *txs: Tx) -> None:
        self.txs = sorted([*self.txs, *txs], key=lambda tx: (tx.slot, tx.signature), reverse=True)

    def signatures(self, params: list[Any]) -> list[dict[str, Any]]:
        if params[0] != MIGRATION_ACCOUNT:
            return []
        return signature_page([tx.entry for tx in self.txs], params)

    def transaction(self, params: list[Any]) -> dict[str, Any] | None:
        time.sleep(self.read_delay)
        found = [tx.body for tx in self.txs if tx.signature == params[0]]
        return found[0] if found else None

    def node(self) -> FakeSolanaNode:
        return FakeSolanaNode(
            results={
                "getSignaturesForAddress": self.signatures,
                "getTransaction": self.transaction,
            }
        )


@contextmanager
def serving(chain: Chain, **options: Any) -> Iterator[tuple[FakeSolanaNode, SolanaRpcClient]]:
    """The chain on a loopback port and a client of it with a roomy budget."""
    node = chain.node()
    budget = LocalTokenBucket(600_000, burst=10_000)
    with serve(node) as url, SolanaRpcClient(url, limiter=budget, **options) as client:
        yield node, client
