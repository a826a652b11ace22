"""The pump.fun migrate / migrate_v2 transactions: the graduation itself and the noise around it.

A graduation calls migrate or migrate_v2 with the coin's mint third (account index 2), logs the
exact instruction line, hands the curve's tokens and SOL to the PumpSwap pool (CPI create_pool),
burns the pool's LP tokens and emits CompletePumpAmmMigrationEvent. The noise is the same call
failing (a race lost in the graduation's own slot, a curve not complete yet) or succeeding
without effect on a graduated curve ("Bonding curve already migrated").
"""

from __future__ import annotations

import base64
import math
import struct

from ingestion.sandbox.book import DECIMALS, TokenBook
from ingestion.sandbox.chain import Chain, ChainTx
from ingestion.sandbox.keys import (
    AMM_EVENT_AUTHORITY,
    AMM_GLOBAL_CONFIG,
    ASSOCIATED_TOKEN_PROGRAM,
    MIGRATION_ACCOUNT,
    PUMP_AMM_PROGRAM,
    PUMP_EVENT_AUTHORITY,
    PUMP_GLOBAL,
    PUMP_PROGRAM,
    RENT_SYSVAR,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
    WSOL_MINT,
    ata,
    boost_vault_of,
    key_bytes,
    lp_mint_of,
)
from ingestion.sandbox.layouts import anchor_discriminator, rent_exempt_lamports
from ingestion.sandbox.txbuild import Meta, TxBody

MIGRATE_LOGS = {
    "migrate": "Program log: Instruction: Migrate",
    "migrate_v2": "Program log: Instruction: MigrateV2",
}
ALREADY_MIGRATED_LOG = "Program log: Bonding curve already migrated"
FAILURES = {6040: "custom program error: 0x1798", 6006: "custom program error: 0x1776"}
POOL_MIGRATION_FEE = 15_000_001
LEFTOVER_LAMPORTS = 8_900_000  # the curve's rest, paid to the withdraw authority
_U64 = struct.Struct("<Q")
Accounts = list[tuple[str, bool]]


def coin_book(chain: Chain, tx: ChainTx) -> TokenBook:
    book = chain.book(tx.mint)
    assert book is not None
    return book


def _migrate_accounts(book: TokenBook, user: str, v2: bool) -> Accounts:
    """The pump.fun instruction's accounts, in the program's order (migrate: 25, migrate_v2
    with the two boost-vault accounts real calls append: 29); the mint is always third."""
    mint, program, curve = book.mint, book.program_id, book.curve
    pool, authority = book.pool or "", book.pool_authority or ""
    lp_mint = lp_mint_of(pool)
    head = [(PUMP_GLOBAL, False), (MIGRATION_ACCOUNT, True), (mint, False)]
    pool_part = [
        (PUMP_AMM_PROGRAM, False),
        (pool, True),
        (authority, True),
        (ata(authority, mint, program), True),
        (ata(authority, WSOL_MINT), True),
        (AMM_GLOBAL_CONFIG, False),
    ]
    vaults = [
        (lp_mint, True),
        (ata(authority, lp_mint, TOKEN_2022_PROGRAM), True),
        (ata(pool, mint, program), True),
        (ata(pool, WSOL_MINT), True),
    ]
    if not v2:
        return [
            *head,
            (curve, True),
            (ata(curve, mint, program), True),
            (user, True),
            (SYSTEM_PROGRAM, False),
            (TOKEN_PROGRAM, False),
            *pool_part,
            (WSOL_MINT, False),
            *vaults,
            (TOKEN_2022_PROGRAM, False),
            (ASSOCIATED_TOKEN_PROGRAM, False),
            (AMM_EVENT_AUTHORITY, False),
            (PUMP_EVENT_AUTHORITY, False),
            (PUMP_PROGRAM, False),
            (RENT_SYSVAR, False),
        ]
    boost = boost_vault_of(pool)
    return [
        *head,
        (WSOL_MINT, False),
        (curve, True),
        (ata(curve, mint, program), True),
        (ata(curve, WSOL_MINT), True),
        (user, True),
        (SYSTEM_PROGRAM, False),
        *pool_part,
        *vaults,
        (program, False),
        (TOKEN_PROGRAM, False),
        (TOKEN_2022_PROGRAM, False),
        (ASSOCIATED_TOKEN_PROGRAM, False),
        (AMM_EVENT_AUTHORITY, False),
        (RENT_SYSVAR, False),
        (PUMP_EVENT_AUTHORITY, False),
        (PUMP_PROGRAM, False),
        (boost, True),
        (ata(boost, WSOL_MINT), True),
    ]


def render_migration(chain: Chain, tx: ChainTx, body: TxBody) -> None:
    """A migrate call: the graduation itself, a no-op on a graduated curve, or a failure."""
    book = coin_book(chain, tx)
    name = book.traits.migrate_instruction
    body.compute_budget(400_000, body.rng.randrange(100_000, 2_000_000))
    body.raw(
        PUMP_PROGRAM,
        _migrate_accounts(book, tx.signer, name == "migrate_v2"),
        anchor_discriminator("global", name),
    )
    body.begin(PUMP_PROGRAM, 1)
    body.logs.append(MIGRATE_LOGS[name])
    amounts = book.balances(tx.at_ms)
    curve_ata = ata(book.curve, book.mint, book.program_id)
    if tx.kind == "migrate":
        _graduation(book, tx, body)
        return
    _unchanged(book, body, curve_ata, book.curve, amounts)
    if book.base_vault is not None and book.pool is not None:
        _unchanged(book, body, book.base_vault, book.pool, amounts)
    if tx.err is None:
        body.logs.append(ALREADY_MIGRATED_LOG)
        body.end(PUMP_PROGRAM, 1, 21_000)
    else:
        code = tx.err["InstructionError"][1]["Custom"]
        body.end(PUMP_PROGRAM, 1, 18_000, f"failed: {FAILURES[code]}")


def _unchanged(
    book: TokenBook, body: TxBody, address: str, owner: str, amounts: dict[str, int]
) -> None:
    if address in amounts:
        amount = amounts[address]
        body.balance(Meta(address, book.mint, owner, book.program_id, DECIMALS, amount, amount))


def _graduation(book: TokenBook, tx: ChainTx, body: TxBody) -> None:
    assert book.pool is not None
    assert book.pool_authority is not None
    assert book.base_vault is not None
    assert book.quote_vault is not None
    mint, program, pool, authority = book.mint, book.program_id, book.pool, book.pool_authority
    base, quote = book.graduation_base(), book.quote_lamports(tx.at_ms)
    curve_ata, held = ata(book.curve, mint, program), ata(authority, mint, program)
    held_sol, lp_mint = ata(authority, WSOL_MINT), lp_mint_of(pool)
    lp_account, lp_amount = ata(authority, lp_mint, TOKEN_2022_PROGRAM), math.isqrt(base * quote)
    body.transfer_checked(program, curve_ata, held, book.curve, mint, base, DECIMALS, 2)
    body.parsed(
        SYSTEM_PROGRAM,
        "transfer",
        {"destination": held_sol, "lamports": quote, "source": book.curve},
        2,
    )
    body.invoke(SYSTEM_PROGRAM, 2, [], 0)
    body.parsed(TOKEN_PROGRAM, "syncNative", {"account": held_sol}, 2)
    body.invoke(TOKEN_PROGRAM, 2, ["Program log: Instruction: SyncNative"], 3_045)
    create_pool = anchor_discriminator("global", "create_pool") + (0).to_bytes(2, "little")
    create_pool += _U64.pack(base) + _U64.pack(quote) + key_bytes(book.creator)
    pool_accounts = [
        (pool, True), (AMM_GLOBAL_CONFIG, False), (authority, True), (mint, False),
        (WSOL_MINT, False), (lp_mint, True), (held, True), (held_sol, True), (lp_account, True),
        (book.base_vault, True), (book.quote_vault, True), (SYSTEM_PROGRAM, False),
        (TOKEN_2022_PROGRAM, False), (program, False), (TOKEN_PROGRAM, False),
        (ASSOCIATED_TOKEN_PROGRAM, False), (AMM_EVENT_AUTHORITY, False), (PUMP_AMM_PROGRAM, False),
    ]  # fmt: skip
    body.raw(PUMP_AMM_PROGRAM, pool_accounts, create_pool, 2)
    body.begin(PUMP_AMM_PROGRAM, 2)
    body.logs.append("Program log: Instruction: CreatePool")
    body.transfer_checked(program, held, book.base_vault, authority, mint, base, DECIMALS, 3)
    body.transfer_checked(
        TOKEN_PROGRAM, held_sol, book.quote_vault, authority, WSOL_MINT, quote, 9, 3
    )
    mint_to = {
        "account": lp_account,
        "amount": str(lp_amount),
        "mint": lp_mint,
        "mintAuthority": pool,
    }
    body.parsed(TOKEN_2022_PROGRAM, "mintTo", mint_to, 3)
    body.invoke(TOKEN_2022_PROGRAM, 3, ["Program log: Instruction: MintTo"], 4_492)
    body.end(PUMP_AMM_PROGRAM, 2, 91_000)
    burn = {
        "account": lp_account,
        "amount": str(lp_amount),
        "authority": authority,
        "mint": lp_mint,
    }
    body.parsed(TOKEN_2022_PROGRAM, "burn", burn, 2)
    body.invoke(TOKEN_2022_PROGRAM, 2, ["Program log: Instruction: Burn"], 4_720)
    event = (
        anchor_discriminator("event", "CompletePumpAmmMigrationEvent")
        + key_bytes(tx.signer) + key_bytes(mint) + _U64.pack(base) + _U64.pack(quote)
        + _U64.pack(POOL_MIGRATION_FEE) + key_bytes(book.curve)
        + struct.pack("<q", tx.block_time) + key_bytes(pool) + key_bytes(WSOL_MINT)
    )  # fmt: skip
    body.logs.append(f"Program data: {base64.b64encode(event).decode()}")
    body.end(PUMP_PROGRAM, 1, 162_000)
    body.balance(Meta(curve_ata, mint, book.curve, program, DECIMALS, base, 0))
    body.balance(Meta(held, mint, authority, program, DECIMALS, None, 0))
    body.balance(Meta(book.base_vault, mint, pool, program, DECIMALS, None, base))
    body.balance(Meta(book.quote_vault, WSOL_MINT, pool, TOKEN_PROGRAM, 9, None, quote))
    rent, pool_rent = rent_exempt_lamports(165), rent_exempt_lamports(243)
    body.lamports(tx.signer, -(2 * rent + pool_rent))
    body.lamports(book.base_vault, rent)
    body.lamports(book.quote_vault, rent + quote)
    body.lamports(pool, pool_rent)
    body.lamports(book.curve, -(quote + LEFTOVER_LAMPORTS))
    body.lamports(MIGRATION_ACCOUNT, LEFTOVER_LAMPORTS)
