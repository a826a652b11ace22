"""Building one jsonParsed transaction body: account keys, parsed and raw instructions, inner
instructions, program logs, lamport and token balances, in the shape getTransaction returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from typing import Any

from ingestion.sandbox.keys import (
    COMPUTE_BUDGET_PROGRAM,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
    random_address,
    short_base58,
)

PROGRAM_NAMES = {
    SYSTEM_PROGRAM: "system",
    TOKEN_PROGRAM: "spl-token",
    TOKEN_2022_PROGRAM: "spl-token-2022",
    "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL": "spl-associated-token-account",
    "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr": "spl-memo",
}
BASE_FEE = 5000
# Programs whose calls log no "consumed" line.
_BUILTINS = (SYSTEM_PROGRAM, COMPUTE_BUDGET_PROGRAM)


def ui_amount_string(raw: int, decimals: int) -> str:
    """The exact decimal, trailing zeros trimmed: 1000000000, 232891037.804997, 0."""
    whole, fraction = divmod(raw, 10**decimals)
    digits = f"{fraction:0{decimals}d}".rstrip("0") if decimals else ""
    return f"{whole}.{digits}" if digits else str(whole)


def token_amount(raw: int, decimals: int) -> dict[str, Any]:
    return {
        "amount": str(raw),
        "decimals": decimals,
        "uiAmount": float(raw) / 10**decimals,
        "uiAmountString": ui_amount_string(raw, decimals),
    }


@dataclass(frozen=True, slots=True)
class Meta:
    """A token account whose balance the transaction shows (None: absent before or after)."""

    address: str
    mint: str
    owner: str
    program: str
    decimals: int
    pre: int | None
    post: int | None


class TxBody:
    """Accumulates one transaction; `render` lays it out. Keys keep the order a message
    needs: writable signers, read-only signers, writable others, read-only others."""

    def __init__(self, signature: str, fee_payer: str, rng: Random) -> None:
        self.signature, self.rng = signature, rng
        self.signatures = [signature]
        self._keys: dict[str, list[bool]] = {}
        self.instructions: list[dict[str, Any]] = []
        self.inner: dict[int, list[dict[str, Any]]] = {}
        self.logs: list[str] = []
        self.token_balances: list[Meta] = []
        self.lamport_changes: dict[str, int] = {}
        self.budget = 200_000
        self.used = 0
        self._left: list[int] = []
        self._spent_inside = 0  # by the calls inside the current top-level instruction
        self.fee = BASE_FEE
        self.key(fee_payer, signer=True, writable=True)

    def key(self, address: str, *, signer: bool = False, writable: bool = False) -> str:
        flags = self._keys.setdefault(address, [False, False])
        flags[0] |= signer
        flags[1] |= writable
        return address

    def compute_budget(self, limit: int, micro_lamports: int) -> None:
        """The two ComputeBudget instructions every bot sends first."""
        self.budget = limit
        self.fee += limit * micro_lamports // 1_000_000
        for data in (
            b"\x02" + limit.to_bytes(4, "little"),
            b"\x03" + micro_lamports.to_bytes(8, "little"),
        ):
            self.raw(COMPUTE_BUDGET_PROGRAM, [], data)
            self.invoke(COMPUTE_BUDGET_PROGRAM, 1, [], 150)

    def raw(
        self, program: str, accounts: list[tuple[str, bool]], data: bytes, height: int | None = None
    ) -> dict[str, Any]:
        """An instruction jsonParsed leaves undecoded: its accounts and base58 data."""
        self.key(program)
        for address, writable in accounts:
            self.key(address, writable=writable)
        instruction = {
            "accounts": [address for address, _ in accounts],
            "data": short_base58(data),
            "programId": program,
            "stackHeight": height,
        }
        self._place(instruction, height)
        return instruction

    def parsed(
        self, program: str, kind: str, info: Any, height: int | None = None
    ) -> dict[str, Any]:
        """An instruction of a program jsonParsed decodes (system, tokens, memo)."""
        self.key(program)
        parsed = info if kind == "" else {"info": info, "type": kind}
        instruction = {
            "parsed": parsed,
            "program": PROGRAM_NAMES[program],
            "programId": program,
            "stackHeight": height,
        }
        self._place(instruction, height)
        return instruction

    def _place(self, instruction: dict[str, Any], height: int | None) -> None:
        """Top level, or inside the latest top-level instruction (its CPIs)."""
        if height is None:
            self.instructions.append(instruction)
        else:
            self.inner.setdefault(len(self.instructions) - 1, []).append(instruction)

    def invoke(self, program: str, depth: int, lines: list[str], units: int) -> None:
        """Logs of one successful program call at `depth` that calls no other."""
        self.begin(program, depth)
        self.logs += lines
        self.end(program, depth, units)

    def begin(self, program: str, depth: int) -> None:
        self.logs.append(f"Program {program} invoke [{depth}]")
        if depth == 1:
            self._spent_inside = 0
        self._left.append(max(0, self.budget - self.used - self._spent_inside))

    def end(self, program: str, depth: int, units: int, failure: str | None = None) -> None:
        """Close the latest call: its units (top-level calls count against the budget), then
        success or the failure text."""
        left = self._left.pop()
        if program not in _BUILTINS:
            self.logs.append(f"Program {program} consumed {units} of {left} compute units")
        if depth == 1:
            self.used += units
        else:
            self._spent_inside += units
        self.logs.append(f"Program {program} {failure or 'success'}")

    def transfer_checked(
        self, program: str, source: str, destination: str, authority: str, mint: str,
        amount: int, decimals: int, depth: int,
    ) -> None:  # fmt: skip
        """A token program's transferChecked, called from inside another program."""
        info = {
            "authority": authority,
            "destination": destination,
            "mint": mint,
            "source": source,
            "tokenAmount": token_amount(amount, decimals),
        }
        self.parsed(program, "transferChecked", info, depth)
        self.invoke(program, depth, ["Program log: Instruction: TransferChecked"], 6_200)

    def balance(self, meta: Meta) -> None:
        self.key(meta.address, writable=True)
        self.token_balances.append(meta)

    def lamports(self, address: str, change: int) -> None:
        self.lamport_changes[address] = self.lamport_changes.get(address, 0) + change

    def ordered_keys(self) -> list[tuple[str, bool, bool]]:
        items = [(address, flags[0], flags[1]) for address, flags in self._keys.items()]
        return sorted(items, key=lambda item: (not item[1], not item[2]))

    def render(
        self,
        *,
        slot: int,
        block_time: int,
        err: dict[str, Any] | None,
        lamports_of: Callable[[str], int],
    ) -> dict[str, Any]:
        keys = self.ordered_keys()
        index = {address: i for i, (address, _, _) in enumerate(keys)}
        payer = keys[0][0]
        self.lamports(payer, -self.fee)
        pre = [lamports_of(address) for address, _, _ in keys]
        post = [
            value + self.lamport_changes.get(address, 0)
            for value, (address, _, _) in zip(pre, keys, strict=True)
        ]
        meta = {
            "computeUnitsConsumed": self.used,
            "costUnits": 1_500 + 300 * len(keys) + self.budget // 1000,
            "err": err,
            "fee": self.fee,
            "innerInstructions": [
                {"index": outer, "instructions": inner}
                for outer, inner in sorted(self.inner.items())
            ],
            "logMessages": self.logs,
            "postBalances": post,
            "postTokenBalances": self._token_balances(index, post=True),
            "preBalances": pre,
            "preTokenBalances": self._token_balances(index, post=False),
            "rewards": [],
            "status": {"Ok": None} if err is None else {"Err": err},
        }
        account_keys = [
            {"pubkey": address, "signer": signer, "source": "transaction", "writable": writable}
            for address, signer, writable in keys
        ]
        message = {
            "accountKeys": account_keys,
            "addressTableLookups": [],
            "instructions": self.instructions,
            "recentBlockhash": random_address(self.rng),
        }
        return {
            "blockTime": block_time,
            "meta": meta,
            "slot": slot,
            "transaction": {"message": message, "signatures": self.signatures},
            "version": 0,
        }

    def _token_balances(self, index: dict[str, int], *, post: bool) -> list[dict[str, Any]]:
        rows = []
        for meta in self.token_balances:
            amount = meta.post if post else meta.pre
            if amount is None:
                continue
            rows.append(
                {
                    "accountIndex": index[meta.address],
                    "mint": meta.mint,
                    "owner": meta.owner,
                    "programId": meta.program,
                    "uiTokenAmount": token_amount(amount, meta.decimals),
                }
            )
        return sorted(rows, key=lambda row: row["accountIndex"])
