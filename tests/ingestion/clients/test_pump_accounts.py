"""Deriving a coin's PumpSwap pool and its creator's token account, reading the pool's coin
creator, and telling wallets from program accounts by who owns them."""

from ingestion.clients.pump_accounts import (
    INCINERATOR,
    SYSTEM_PROGRAM,
    associated_account,
    classify_owner,
    pool_coin_creator,
    pump_pool_of,
)
from ingestion.clients.pump_migrations import PUMP_AMM_PROGRAM, PUMP_PROGRAM
from ingestion.clients.solana_rpc import AccountInfo
from ingestion.sandbox import keys, layouts

MINT = "9zWkqrJH8CWsWSVjMoW8o2DyhxrV5BtRBZG4ao6ypump"
CREATOR = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"
TOKEN_2022 = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"


def account(owner: str, raw: bytes | None = None) -> AccountInfo:
    return AccountInfo(
        address="x", owner=owner, lamports=1, executable=False, program=None,
        parsed_type=None, info={}, space=None, slot=1, raw=raw,
    )  # fmt: skip


def test_the_pool_and_the_token_account_are_derived_as_the_programs_do() -> None:
    assert pump_pool_of(MINT) == keys.pool_of(MINT)
    assert associated_account(CREATOR, MINT, TOKEN_2022) == keys.ata(CREATOR, MINT, TOKEN_2022)


def test_the_pool_names_its_coin_creator() -> None:
    data = layouts.pool_bytes(
        bump=254, creator=keys.pool_authority_of(MINT), base_mint=MINT, quote_mint=keys.WSOL_MINT,
        lp_mint=keys.lp_mint_of(pump_pool_of(MINT)), base_vault=CREATOR, quote_vault=CREATOR,
        lp_supply=10**12, coin_creator=CREATOR,
    )  # fmt: skip
    assert pool_coin_creator(account(PUMP_AMM_PROGRAM, data), MINT) == CREATOR
    other = "So11111111111111111111111111111111111111112"
    assert pool_coin_creator(account(PUMP_AMM_PROGRAM, data), other) is None  # another coin
    assert pool_coin_creator(account(PUMP_PROGRAM, data), MINT) is None  # not a PumpSwap pool
    assert pool_coin_creator(account(PUMP_AMM_PROGRAM, data[:100]), MINT) is None


def test_owners_are_told_apart_by_their_own_accounts() -> None:
    pool = pump_pool_of(MINT)
    assert classify_owner(pool, account(PUMP_AMM_PROGRAM)).label == "PumpSwap pool"
    assert classify_owner(pool, None).kind == "program"  # no key can sign for a PDA
    assert classify_owner(CREATOR, account(SYSTEM_PROGRAM)).counts
    assert classify_owner(CREATOR, None).counts  # a wallet that holds no SOL
    assert classify_owner(INCINERATOR, None).kind == "burn"
    vault_authority = classify_owner(
        CREATOR, account("LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo")
    )
    assert (vault_authority.kind, vault_authority.counts) == ("program", False)
