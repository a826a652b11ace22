"""The methods moon calls on a Solana node; every address and signature is checked first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..solana_address import parse_address, parse_signature
from .decode import (
    parse_mint,
    parse_token_account,
    read_account,
    read_address,
    read_amount,
    read_context_value,
    read_count,
    read_list,
    read_member,
    read_object,
    read_optional_count,
    read_signature_info,
    read_transaction,
)
from .errors import SolanaRpcError, SolanaRpcShapeError
from .shapes import (
    AccountInfo,
    MintAccount,
    ParsedTransaction,
    SignatureInfo,
    TokenAccountBalance,
    TokenSupply,
)
from .transport import RpcTransport

MAX_KEYS_PER_CALL = 100
MAX_SIGNATURES_PER_PAGE = 1000


class SolanaRpcClient(RpcTransport):
    """Calls one Solana JSON-RPC endpoint, each request paid for from the shared budget.

    ``limiter_for`` gives each method its own bucket (a mapping or a callable; a method it does
    not name pays from ``limiter`` only); ``limiter`` is the bucket every request pays from.
    Retries wait ``backoff_base * 2**(n-1)`` capped at ``backoff_max`` and scaled by a factor in
    [0.5, 1]; a rate-limit answer instead penalizes the buckets, so every process backs off, and
    the retry waits for them. ``deadline`` bounds a whole call: budget waits, requests, retries.
    """

    def __enter__(self) -> SolanaRpcClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # The methods. Every address and signature is checked before anything is sent.

    def get_account_info(self, address: str) -> AccountInfo | None:
        """One account, or None when it does not exist."""
        key = parse_address(address)
        result = self._call("getAccountInfo", [key, self._parsed()])
        slot, value = read_context_value(result, "getAccountInfo")
        return None if value is None else read_account(key, value, slot, f"getAccountInfo {key}")

    def get_mint(self, mint: str) -> MintAccount | None:
        """A token mint (SPL Token or Token-2022), or None when the account does not exist."""
        account = self.get_account_info(mint)
        return None if account is None else parse_mint(account)

    def get_multiple_accounts(self, addresses: Sequence[str]) -> list[AccountInfo | None]:
        """Accounts in the asked order (None where one does not exist), 100 per request."""
        keys = [parse_address(address) for address in addresses]
        accounts: list[AccountInfo | None] = []
        for start in range(0, len(keys), MAX_KEYS_PER_CALL):
            chunk = keys[start : start + MAX_KEYS_PER_CALL]
            result = self._call("getMultipleAccounts", [chunk, self._parsed()])
            slot, value = read_context_value(result, "getMultipleAccounts")
            values = read_list(value, "getMultipleAccounts value")
            if len(values) != len(chunk):
                raise SolanaRpcShapeError(
                    f"getMultipleAccounts: {len(values)} accounts for {len(chunk)} keys"
                )
            accounts.extend(
                None
                if item is None
                else read_account(key, item, slot, f"getMultipleAccounts {key}")
                for key, item in zip(chunk, values, strict=True)
            )
        return accounts

    def get_token_account_balances(
        self, addresses: Sequence[str]
    ) -> list[TokenAccountBalance | None]:
        """Owner, mint and balance of token accounts (e.g. the largest ones of a mint)."""
        return [
            None if account is None else parse_token_account(account)
            for account in self.get_multiple_accounts(addresses)
        ]

    def get_token_largest_accounts(self, mint: str) -> list[TokenAccountBalance]:
        """At most 20 token accounts, largest first. Often unavailable (``unsupported``)."""
        key = parse_address(mint)
        result = self._call("getTokenLargestAccounts", [key, {"commitment": self.commitment}])
        _, value = read_context_value(result, "getTokenLargestAccounts")
        balances = []
        for index, item in enumerate(read_list(value, "getTokenLargestAccounts value")):
            where = f"getTokenLargestAccounts value[{index}]"
            entry = read_object(item, where)
            balances.append(
                TokenAccountBalance(
                    address=read_address(read_member(entry, "address", where), f"{where}.address"),
                    amount=read_amount(read_member(entry, "amount", where), f"{where}.amount"),
                    decimals=read_optional_count(entry.get("decimals"), f"{where}.decimals"),
                    mint=key,
                )
            )
        return balances

    def get_token_supply(self, mint: str) -> TokenSupply:
        key = parse_address(mint)
        result = self._call("getTokenSupply", [key, {"commitment": self.commitment}])
        slot, value = read_context_value(result, "getTokenSupply")
        supply = read_object(value, "getTokenSupply value")
        return TokenSupply(
            amount=read_amount(
                read_member(supply, "amount", "getTokenSupply"), "getTokenSupply amount"
            ),
            decimals=read_count(
                read_member(supply, "decimals", "getTokenSupply"), "getTokenSupply decimals"
            ),
            slot=slot,
        )

    def get_token_accounts_by_owner(
        self, owner: str, *, mint: str | None = None, program_id: str | None = None
    ) -> list[TokenAccountBalance]:
        """The owner's token accounts of one mint, or of one token program (exactly one filter).

        A mint filter finds the accounts under either token program; a program filter only
        those of that program.
        """
        if (mint is None) == (program_id is None):
            raise ValueError("give exactly one of mint and program_id")
        key = parse_address(owner)
        if mint is not None:
            query = {"mint": parse_address(mint)}
        else:
            query = {"programId": parse_address(program_id)}
        result = self._call("getTokenAccountsByOwner", [key, query, self._parsed()])
        slot, value = read_context_value(result, "getTokenAccountsByOwner")
        balances = []
        for index, item in enumerate(read_list(value, "getTokenAccountsByOwner value")):
            where = f"getTokenAccountsByOwner value[{index}]"
            entry = read_object(item, where)
            address = read_address(read_member(entry, "pubkey", where), f"{where}.pubkey")
            account = read_account(address, read_member(entry, "account", where), slot, where)
            balances.append(parse_token_account(account))
        return balances

    def get_signatures_for_address(
        self,
        address: str,
        *,
        before: str | None = None,
        until: str | None = None,
        limit: int = MAX_SIGNATURES_PER_PAGE,
    ) -> list[SignatureInfo]:
        """One page, newest first, strictly older than ``before`` and newer than ``until``."""
        key = parse_address(address)
        if isinstance(limit, bool) or not 1 <= limit <= MAX_SIGNATURES_PER_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_SIGNATURES_PER_PAGE}, got {limit}")
        config: dict[str, Any] = {"limit": limit, "commitment": self.commitment}
        if before is not None:
            config["before"] = parse_signature(before)
        if until is not None:
            config["until"] = parse_signature(until)
        result = self._call("getSignaturesForAddress", [key, config])
        entries = read_list(result, "getSignaturesForAddress result")
        return [
            read_signature_info(item, f"getSignaturesForAddress result[{index}]")
            for index, item in enumerate(entries)
        ]

    def iter_signatures(
        self,
        address: str,
        *,
        until: str | None = None,
        before: str | None = None,
        page_size: int = MAX_SIGNATURES_PER_PAGE,
    ) -> Iterator[SignatureInfo]:
        """Every signature newer than ``until`` (all of history without it), newest first.

        Pages backwards, each page starting below the last signature of the one before, and
        stops at the first page shorter than ``page_size``.
        """
        while True:
            page = self.get_signatures_for_address(
                address, before=before, until=until, limit=page_size
            )
            yield from page
            if len(page) < page_size:
                return
            if page[-1].signature == before:
                raise SolanaRpcShapeError("getSignaturesForAddress: a page did not move back")
            before = page[-1].signature

    def get_transaction(self, signature: str) -> ParsedTransaction | None:
        """A confirmed transaction, or None when the node does not know it (yet)."""
        text = parse_signature(signature)
        config = {
            "encoding": "jsonParsed",
            "maxSupportedTransactionVersion": 0,
            "commitment": self.commitment,
        }
        result = self._call("getTransaction", [text, config])
        return None if result is None else read_transaction(result, f"getTransaction {text}")

    def get_slot(self) -> int:
        return read_count(
            self._call("getSlot", [{"commitment": self.commitment}]), "getSlot result"
        )

    def get_health(self) -> bool:
        """Whether the node says it is caught up; asked once, since a probe reports the present."""
        try:
            result = self._call("getHealth", [], retry=False)
        except SolanaRpcError as exc:
            if exc.kind == "node_behind":
                return False
            raise
        return isinstance(result, str) and result == "ok"

    # The transport.

    def _parsed(self) -> dict[str, str]:
        return {"encoding": "jsonParsed", "commitment": self.commitment}
