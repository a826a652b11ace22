"""getTransaction bodies (jsonParsed, version 0) of the simulated chain, one renderer per kind:
migrations and their noise (graduation.py), lamport spoofs of the migration account, and a
creator's own transactions (the launch with its first buy, sells, funding).

A spoof sends 1 lamport to the migration account, sometimes with a memo, sometimes calling a
look-alike program that logs "Instruction: Migrate" with a made-up pump mint third in its
accounts. Instruction data is exact where it is short (discriminators and amounts); a create's
name, symbol and uri arguments are left out of its data.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from random import Random
from typing import Any

from ingestion.sandbox.accounts import lamports_of, mint_info
from ingestion.sandbox.book import DECIMALS, SUPPLY, TokenBook
from ingestion.sandbox.chain import Chain, ChainTx, spoof_program
from ingestion.sandbox.graduation import MIGRATE_LOGS, Accounts, coin_book, render_migration
from ingestion.sandbox.keys import (
    ASSOCIATED_TOKEN_PROGRAM,
    MEMO_PROGRAM,
    MIGRATION_ACCOUNT,
    PUMP_AMM_PROGRAM,
    PUMP_EVENT_AUTHORITY,
    PUMP_GLOBAL,
    PUMP_MINT_AUTHORITY,
    PUMP_PROGRAM,
    RENT_SYSVAR,
    SYSTEM_PROGRAM,
    TOKEN_PROGRAM,
    ata,
    find_pda,
    key_bytes,
    random_address,
    random_signature,
)
from ingestion.sandbox.layouts import anchor_discriminator, mint_bytes, rent_exempt_lamports
from ingestion.sandbox.txbuild import Meta, TxBody

METAPLEX = "metaqbxxUerdq28cj1RbAWkYQm3ybzjb6a8bt518x1s"
FEE_RECIPIENT = "CebN5WGQ4jvEPvsVU4EoHEpgzq1VV7AbicfhtW4xC9iM"  # one of pump.fun's
_U64 = struct.Struct("<Q")


def render_transaction(chain: Chain, tx: ChainTx) -> dict[str, Any]:
    body = TxBody(tx.signature, tx.signer, Random(f"tx:{tx.signature}"))
    RENDERERS[tx.kind](chain, tx, body)
    return body.render(
        slot=tx.slot,
        block_time=tx.block_time,
        err=tx.err,
        lamports_of=lambda address: lamports_of(chain, address),
    )


def _spoof(chain: Chain, tx: ChainTx, body: TxBody) -> None:
    """One lamport to the migration account, maybe a memo, maybe a look-alike "migrate"."""
    body.compute_budget(200_000, body.rng.randrange(1_000, 50_000))
    info = {"destination": MIGRATION_ACCOUNT, "lamports": 1, "source": tx.signer}
    body.key(MIGRATION_ACCOUNT, writable=True)
    body.parsed(SYSTEM_PROGRAM, "transfer", info)
    body.invoke(SYSTEM_PROGRAM, 1, [], 0)
    body.lamports(tx.signer, -1)
    body.lamports(MIGRATION_ACCOUNT, 1)
    if tx.memo is not None:
        text = tx.memo.split("] ", 1)[1]
        body.parsed(MEMO_PROGRAM, "", text)
        body.invoke(MEMO_PROGRAM, 1, [f'Program log: Memo (len {len(text)}): "{text}"'], 3_200)
    if tx.mint:
        program = spoof_program(tx)
        accounts = [(random_address(body.rng), False), (MIGRATION_ACCOUNT, True), (tx.mint, False)]
        accounts += [(random_address(body.rng), True), (tx.signer, True)]
        body.raw(program, accounts, anchor_discriminator("global", "migrate"))
        body.invoke(program, 1, [MIGRATE_LOGS["migrate"]], 1_203)


def _create(chain: Chain, tx: ChainTx, body: TxBody) -> None:
    """The launch: create (SPL Token) or create_v2 (Token-2022), then the creator's first buy."""
    book = coin_book(chain, tx)
    mint, program, creator, curve = book.mint, book.program_id, book.creator, book.curve
    legacy = program == TOKEN_PROGRAM
    curve_ata, creator_ata = ata(curve, mint, program), ata(creator, mint, program)
    body.signatures.append(random_signature(body.rng))
    body.key(mint, signer=True, writable=True)
    body.compute_budget(250_000, body.rng.randrange(100_000, 1_500_000))
    accounts: Accounts = [
        (mint, True),
        (PUMP_MINT_AUTHORITY, False),
        (curve, True),
        (curve_ata, True),
        (PUMP_GLOBAL, False),
    ]
    if legacy:
        metadata = find_pda(METAPLEX, b"metadata", key_bytes(METAPLEX), key_bytes(mint))
        accounts += [(METAPLEX, False), (metadata, True)]
    accounts += [
        (creator, True),
        (SYSTEM_PROGRAM, False),
        (program, False),
        (ASSOCIATED_TOKEN_PROGRAM, False),
    ]
    if legacy:
        accounts.append((RENT_SYSVAR, False))
    accounts += [(PUMP_EVENT_AUTHORITY, False), (PUMP_PROGRAM, False)]
    body.raw(
        PUMP_PROGRAM, accounts, anchor_discriminator("global", "create" if legacy else "create_v2")
    )
    body.begin(PUMP_PROGRAM, 1)
    body.logs.append(
        "Program log: Instruction: Create" if legacy else "Program log: Instruction: CreateV2"
    )
    space = len(mint_bytes(mint_info(book, tx.at_ms)))
    new_mint = {
        "lamports": rent_exempt_lamports(space),
        "newAccount": mint,
        "owner": program,
        "source": creator,
        "space": space,
    }
    body.parsed(SYSTEM_PROGRAM, "createAccount", new_mint, 2)
    body.invoke(SYSTEM_PROGRAM, 2, [], 0)
    freeze = creator if book.traits.freeze_authority else None
    init: dict[str, Any] = {
        "decimals": DECIMALS,
        "freezeAuthority": freeze,
        "mint": mint,
        "mintAuthority": PUMP_MINT_AUTHORITY,
    }
    if freeze is None:
        del init["freezeAuthority"]
    body.parsed(program, "initializeMint2", init, 2)
    body.invoke(program, 2, ["Program log: Instruction: InitializeMint2"], 2_780)
    minted = {
        "account": curve_ata,
        "amount": str(SUPPLY),
        "mint": mint,
        "mintAuthority": PUMP_MINT_AUTHORITY,
    }
    body.parsed(program, "mintTo", minted, 2)
    body.invoke(program, 2, ["Program log: Instruction: MintTo"], 4_492)
    kept = creator if book.traits.mint_authority else None
    handed = {
        "authority": PUMP_MINT_AUTHORITY,
        "authorityType": "mintTokens",
        "mint": mint,
        "newAuthority": kept,
    }
    body.parsed(program, "setAuthority", handed, 2)
    body.invoke(program, 2, ["Program log: Instruction: SetAuthority"], 2_911)
    body.end(PUMP_PROGRAM, 1, 122_356)
    body.lamports(creator, -rent_exempt_lamports(space))
    body.lamports(mint, rent_exempt_lamports(space))
    bought = round(book.launch.initial_buy_tokens * 10**DECIMALS)
    body.balance(Meta(curve_ata, mint, curve, program, DECIMALS, None, SUPPLY - bought))
    if bought:
        _first_buy(book, body, bought, curve_ata, creator_ata)


def _first_buy(
    book: TokenBook, body: TxBody, bought: int, curve_ata: str, creator_ata: str
) -> None:
    mint, program, creator, curve = book.mint, book.program_id, book.creator, book.curve
    idempotent = {
        "account": creator_ata,
        "mint": mint,
        "source": creator,
        "systemProgram": SYSTEM_PROGRAM,
        "tokenProgram": program,
        "wallet": creator,
    }
    body.parsed(ASSOCIATED_TOKEN_PROGRAM, "createIdempotent", idempotent)
    body.invoke(ASSOCIATED_TOKEN_PROGRAM, 1, ["Program log: CreateIdempotent"], 20_301)
    lamports = round(book.launch.sol_amount * 1e9)
    data = (
        anchor_discriminator("global", "buy") + _U64.pack(bought) + _U64.pack(lamports * 101 // 100)
    )
    accounts = [
        (PUMP_GLOBAL, False), (FEE_RECIPIENT, True), (mint, False), (curve, True),
        (curve_ata, True), (creator_ata, True), (creator, True), (SYSTEM_PROGRAM, False),
        (program, False), (PUMP_EVENT_AUTHORITY, False), (PUMP_PROGRAM, False),
    ]  # fmt: skip
    body.raw(PUMP_PROGRAM, accounts, data)
    body.begin(PUMP_PROGRAM, 1)
    body.logs.append("Program log: Instruction: Buy")
    body.transfer_checked(program, curve_ata, creator_ata, curve, mint, bought, DECIMALS, 2)
    body.parsed(
        SYSTEM_PROGRAM,
        "transfer",
        {"destination": curve, "lamports": lamports, "source": creator},
        2,
    )
    body.invoke(SYSTEM_PROGRAM, 2, [], 0)
    body.end(PUMP_PROGRAM, 1, 35_957)
    body.lamports(creator, -lamports)
    body.lamports(curve, lamports)
    body.balance(Meta(creator_ata, mint, creator, program, DECIMALS, None, bought))


def _sell(chain: Chain, tx: ChainTx, body: TxBody) -> None:
    """The creator sells on the curve, or in the PumpSwap pool once graduated."""
    book = coin_book(chain, tx)
    mint, program, creator = book.mint, book.program_id, book.creator
    creator_ata = ata(creator, mint, program)
    left = book.balances(tx.at_ms).get(creator_ata, 0)
    sold = body.rng.randrange(10**12, 5 * 10**13)
    on_pool = book.graduated_by(tx.at_ms) and book.pool is not None
    body.compute_budget(150_000, body.rng.randrange(100_000, 1_000_000))
    target = PUMP_AMM_PROGRAM if on_pool else PUMP_PROGRAM
    venue = book.pool if on_pool and book.pool else book.curve
    vault = ata(venue, mint, program)
    accounts = [(venue, True), (creator, True), (mint, False), (creator_ata, True), (vault, True)]
    accounts += [(program, False), (SYSTEM_PROGRAM, False), (target, False)]
    data = anchor_discriminator("global", "sell") + _U64.pack(sold) + _U64.pack(0)
    body.raw(target, accounts, data)
    body.begin(target, 1)
    body.logs.append("Program log: Instruction: Sell")
    body.transfer_checked(program, creator_ata, vault, creator, mint, sold, DECIMALS, 2)
    body.end(target, 1, 41_000)
    body.balance(Meta(creator_ata, mint, creator, program, DECIMALS, left + sold, left))


def _fund(chain: Chain, tx: ChainTx, body: TxBody) -> None:
    """SOL sent to a creator shortly before a launch."""
    launch = chain.launches[tx.mint]
    lamports = body.rng.randrange(5 * 10**8, 5 * 10**9)
    info = {"destination": launch.creator, "lamports": lamports, "source": tx.signer}
    body.key(launch.creator, writable=True)
    body.parsed(SYSTEM_PROGRAM, "transfer", info)
    body.invoke(SYSTEM_PROGRAM, 1, [], 0)
    body.lamports(tx.signer, -lamports)
    body.lamports(launch.creator, lamports)


RENDERERS: dict[str, Callable[[Chain, ChainTx, TxBody], None]] = {
    "migrate": render_migration,
    "race_lost": render_migration,
    "premature": render_migration,
    "already_migrated": render_migration,
    "spoof": _spoof,
    "create": _create,
    "sell": _sell,
    "fund": _fund,
}
