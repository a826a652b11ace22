"""The simulated ledger behind the sandbox's Solana RPC: slots and block times, the
transactions that mention the migration account, a coin or a creator, and every coin's accounts.

All of it is derived from the market: each graduation is a successful migrate transaction with
the feed's signature at the graduation's instant (blockTime = migrated_at), whether or not the
feed delivered the frame; around them, drawn from each coin's own `Random`, come the noise a
backfill must skip (failed migrates, "already migrated" no-ops, lamport spoofs); each launch is
a create transaction of its creator. Indexing follows the simulated clock, lazily: only what an
answer needs is derived, and the same seed and inputs always give the same chain.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from random import Random
from typing import Any

from ingestion.sandbox.book import Launch, TokenBook
from ingestion.sandbox.keys import (
    INCINERATOR,
    MIGRATION_ACCOUNT,
    random_address,
    random_pump_mint,
    random_signature,
    random_wallet,
    signature_bytes,
)
from ingestion.sandbox.life import CURVE_SOL, CURVE_TOKENS, TokenSpec
from ingestion.sandbox.market import Market
from ingestion.sandbox.story import MINUTE_MS
from ingestion.sandbox.tape import draw_poisson
from ingestion.sandbox.traits import draw_traits

# Slots run about 2.5 a second: alternately 2 and 3 within each second, so a slot never
# straddles a second and every transaction's blockTime is the second it happened in. Anchored
# near mainnet's own count (slot 430.7 M around 2026-07-04), so slots look like real ones.
SLOT_ANCHOR, SLOT_ANCHOR_S = 430_727_426, 1_783_123_200
SLOTS_PER_EPOCH = 432_000
FINALITY_MS = 13_000  # about 32 slots: how far "finalized" trails "confirmed"
SPOOFS_PER_MINUTE = 0.12
BLOCK_TRANSACTIONS = 1400
# Noise a backfill must skip: a bot's migrate that loses the race in the graduation's own
# slot (custom error 6040), one that comes too early (curve not complete, 6006), and a late
# migrate of a curve that already graduated (succeeds, logs "already migrated", does nothing).
RACE_LOST = {"InstructionError": [2, {"Custom": 6040}]}
PREMATURE = {"InstructionError": [2, {"Custom": 6006}]}
MIGRATION_KINDS = ("migrate", "race_lost", "premature", "already_migrated", "spoof")
_MAX_SIG = b"\xff" * 64


def slot_at(ms: int) -> int:
    second, within = divmod(ms, 1000)
    k = second - SLOT_ANCHOR_S
    slots_before, slots_in = 5 * k // 2, 5 * (k + 1) // 2 - 5 * k // 2
    return SLOT_ANCHOR + slots_before + within * slots_in // 1000


def epoch_of(slot: int) -> int:
    return slot // SLOTS_PER_EPOCH


@dataclass(frozen=True, slots=True)
class ChainTx:
    """One transaction: what it is (`kind`), about which coin, signed by whom, and whether it
    failed. Its body is rendered on demand (transactions.py) from these and the coin's book."""

    signature: str
    at_ms: int
    kind: str
    mint: str
    signer: str
    err: dict[str, Any] | None = None
    memo: str | None = None
    slot: int = field(init=False)
    key: tuple[int, bytes] = field(init=False)

    def __post_init__(self) -> None:
        slot = slot_at(self.at_ms)
        object.__setattr__(self, "slot", slot)
        object.__setattr__(self, "key", (slot, signature_bytes(self.signature)))

    @property
    def block_time(self) -> int:
        return self.at_ms // 1000

    @property
    def index(self) -> int:
        """Its position in the block (drawn from the signature; listings order by signature)."""
        return int.from_bytes(self.key[1][:2], "big") % BLOCK_TRANSACTIONS


def _tx_key(tx: ChainTx) -> tuple[int, bytes]:
    return tx.key


class Chain:
    """The ledger of one market, indexed up to the latest simulated instant asked."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self.seed = market.seed
        self.txs: dict[str, ChainTx] = {}
        self.launches: dict[str, Launch] = {}
        self.wallets: set[str] = {INCINERATOR}
        self.entities: dict[str, tuple[str, str]] = {}
        self._by_address: dict[str, list[ChainTx]] = {}
        self._books: dict[str, TokenBook] = {}
        self._holdings: dict[str, list[str]] = {}
        self._known = 0
        self._next_launch_minute = 0
        self._next_spoof_minute: int | None = None

    # indexing

    def sync(self, now_ms: int) -> None:
        """Index every graduation the market knows by now, and launches and spoofs up to the
        current minute."""
        for spec in self.market.registered_since(self._known, now_ms):
            self._known += 1
            self._index_graduate(spec)
        minute = (now_ms - self.market.start_ms) // MINUTE_MS
        while self._next_launch_minute <= minute:
            self._index_plain_launches(self._next_launch_minute)
            self._next_launch_minute += 1
        if self._next_spoof_minute is None:
            # from two hours before the earliest preseeded graduation
            self._next_spoof_minute = -math.ceil(self.market.preseed_span_ms / MINUTE_MS) - 120
        while self._next_spoof_minute <= minute:
            self._index_spoofs(self._next_spoof_minute)
            self._next_spoof_minute += 1

    def _add(self, tx: ChainTx, *addresses: str) -> None:
        self.txs[tx.signature] = tx
        for address in dict.fromkeys(addresses):
            bisect.insort(self._by_address.setdefault(address, []), tx, key=_tx_key)
        self.wallets.add(tx.signer)

    def _register(self, launch: Launch) -> None:
        self.launches[launch.mint] = launch
        self.entities[launch.mint] = ("mint", launch.mint)
        self.wallets.add(launch.creator)

    def _index_graduate(self, spec: TokenSpec) -> None:
        v_sol = CURVE_SOL + spec.initial_buy_sol
        launch = Launch(
            mint=spec.mint,
            creator=spec.creator,
            created_ms=spec.created_ms,
            signature=spec.create_signature,
            name=spec.name,
            symbol=spec.symbol,
            uri=spec.uri,
            initial_buy_tokens=round(CURVE_TOKENS - CURVE_SOL * CURVE_TOKENS / v_sol, 6),
            sol_amount=spec.initial_buy_sol,
            serial_creator=spec.serial_creator,
            spec=spec,
        )
        self._register(launch)
        self.entities[spec.bonding_curve] = ("curve", spec.mint)
        self.entities[spec.pools[1].pair_address] = ("pool", spec.mint)
        mint, at = spec.mint, spec.migrated_ms
        rng = Random(f"{self.seed}:noise:{mint}")
        migrator = spec.creator if spec.traits.migrated_by_creator else random_wallet(rng)
        self._migration(ChainTx(spec.migration_signature, at, "migrate", mint, migrator))
        if rng.random() < 0.15:
            self._migration(self._noise(rng, at, "race_lost", mint, RACE_LOST))
        if rng.random() < 0.08 and at - spec.created_ms > 60_000:
            early = at - rng.randrange(2_000, 40_000)
            self._migration(self._noise(rng, early, "premature", mint, PREMATURE))
        if rng.random() < 0.2:
            late = at + rng.randrange(5_000, 3 * 3_600_000)
            self._migration(self._noise(rng, late, "already_migrated", mint, None))
        sell_from = at + MINUTE_MS
        self._index_creator(launch, rng, sell_from, sell_from + 180 * MINUTE_MS, 0.5)

    @staticmethod
    def _noise(
        rng: Random, at_ms: int, kind: str, mint: str, err: dict[str, Any] | None
    ) -> ChainTx:
        """A bot's migrate call on `mint` that is not its graduation."""
        return ChainTx(random_signature(rng), at_ms, kind, mint, random_wallet(rng), err)

    def _migration(self, tx: ChainTx) -> None:
        self._add(tx, MIGRATION_ACCOUNT, tx.mint, tx.signer)

    def _index_creator(
        self, launch: Launch, rng: Random, sell_from: int, sell_to: int, sell_chance: float
    ) -> None:
        """The creator's own transactions around one launch: maybe funded just before it,
        the create itself (with the first buy), maybe a sell later."""
        creator, mint = launch.creator, launch.mint
        if rng.random() < 0.4:
            funded = launch.created_ms - rng.randrange(MINUTE_MS, 30 * MINUTE_MS)
            self._add(
                ChainTx(random_signature(rng), funded, "fund", mint, random_wallet(rng)), creator
            )
        self._add(
            ChainTx(launch.signature, launch.created_ms, "create", mint, creator), creator, mint
        )
        if rng.random() < sell_chance:
            sold = rng.randrange(sell_from, sell_to)
            self._add(ChainTx(random_signature(rng), sold, "sell", mint, creator), creator, mint)

    def _index_plain_launches(self, minute: int) -> None:
        serial = set(self.market.serial_creators)
        for event in self.market.plain_launches(minute):
            frame = event.frame
            launch = Launch(
                mint=frame["mint"],
                creator=frame["traderPublicKey"],
                created_ms=event.at_ms,
                signature=frame["signature"],
                name=frame["name"],
                symbol=frame["symbol"],
                uri=frame["uri"],
                initial_buy_tokens=float(frame["initialBuy"]),
                sol_amount=float(frame["solAmount"]),
                serial_creator=frame["traderPublicKey"] in serial,
            )
            self._register(launch)
            self.entities[frame["bondingCurveKey"]] = ("curve", launch.mint)
            rng = Random(f"{self.seed}:noise:{launch.mint}")
            start = event.at_ms + MINUTE_MS
            self._index_creator(launch, rng, start, start + 30 * MINUTE_MS, 0.3)

    def _index_spoofs(self, minute: int) -> None:
        """Transactions that only send lamports to the migration account (one in three also
        calls a look-alike program with a made-up pump mint third in its accounts)."""
        rng = Random(f"{self.seed}:spoofs:{minute}")
        at = self.market.start_ms + minute * MINUTE_MS
        for _ in range(draw_poisson(rng, SPOOFS_PER_MINUTE)):
            when = at + rng.randrange(MINUTE_MS)
            signature, signer = random_signature(rng), random_wallet(rng)
            lookalike = rng.random() < 1 / 3
            fake_mint = random_pump_mint(rng) if lookalike else ""
            memo = "[7] migrate" if rng.random() < 0.3 else None
            tx = ChainTx(signature, when, "spoof", fake_mint, signer, None, memo)
            self._add(tx, MIGRATION_ACCOUNT, signer)

    # reading

    def signatures(
        self, address: str, *, visible_slot: int, before: str | None, until: str | None, limit: int
    ) -> list[ChainTx]:
        """Transactions of `address`, newest first, the way a node pages them: strictly older
        than `before` (an unknown `before`: nothing), stopping short of `until` (ignored when
        unknown), at most `limit`."""
        entries = self._by_address.get(address, [])
        high = bisect.bisect_right(entries, (visible_slot, _MAX_SIG), key=_tx_key)
        if before is not None:
            cursor = self.visible_tx(before, visible_slot)
            if cursor is None:
                return []
            high = min(high, bisect.bisect_left(entries, cursor.key, key=_tx_key))
        low = 0
        if until is not None:
            stop = self.visible_tx(until, visible_slot)
            if stop is not None:
                low = bisect.bisect_right(entries, stop.key, key=_tx_key)
        return entries[max(low, high - limit) : high][::-1]

    def history(self, address: str, until_ms: int) -> list[ChainTx]:
        """Everything listed for `address` up to `until_ms`, newest first (ground truth)."""
        return self.signatures(
            address, visible_slot=slot_at(until_ms), before=None, until=None, limit=len(self.txs)
        )

    def launches_by(self, creator: str, until_ms: int) -> list[Launch]:
        return [
            self.launches[tx.mint]
            for tx in self.history(creator, until_ms)
            if tx.kind == "create" and tx.signer == creator
        ]

    def visible_tx(self, signature: str, visible_slot: int) -> ChainTx | None:
        tx = self.txs.get(signature)
        return tx if tx is not None and tx.slot <= visible_slot else None

    def book(self, mint: str) -> TokenBook | None:
        """The accounts of a coin (launched or not yet), derived on first use."""
        found = self._books.get(mint)
        if found is not None:
            return found
        launch = self.launches.get(mint)
        if launch is None:
            return None
        traits = launch.spec.traits if launch.spec else draw_traits(mint, launch.created_ms)
        tape = self.market.tape(mint) if launch.spec else None
        book = self._books[mint] = TokenBook(launch, traits, tape)
        for account in book.accounts:
            self.entities[account.address] = ("token", mint)
            self._holdings.setdefault(account.owner, []).append(mint)
            if account.role in ("creator", "holder"):
                self.wallets.add(account.owner)
        for pool, _ in book.side_pools:
            self.entities[pool.pair_address] = ("amm_pool", mint)
        if book.quote_vault:
            self.entities[book.quote_vault] = ("wsol", mint)
        return book

    def mints_held_by(self, owner: str) -> list[str]:
        """Mints in which `owner` has a token account: its launches, the coin it pools or
        bonds, every coin with tokens at the incinerator, and any coin it was seen holding."""
        mints = [tx.mint for tx in self._by_address.get(owner, ()) if tx.kind == "create"]
        entity = self.entities.get(owner)
        if entity is not None and entity[0] in ("pool", "curve", "amm_pool"):
            mints.append(entity[1])
        if owner == INCINERATOR:
            mints += [
                mint
                for mint, launch in self.launches.items()
                if launch.spec is not None and launch.spec.traits.burn_share
            ]
        for mint in dict.fromkeys(mints):
            self.book(mint)
        return list(dict.fromkeys(mints + self._holdings.get(owner, [])))


def spoof_program(tx: ChainTx) -> str:
    """The look-alike program a spoof calls (drawn from its signature)."""
    return random_address(Random(f"lookalike:{tx.signature}"))
