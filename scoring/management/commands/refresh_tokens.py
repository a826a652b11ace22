"""Fetch, score and store tokens in this process: no worker needed."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scoring.selectors import token_ids_for_group
from scoring.services.dexscreener import dexscreener_client
from scoring.services.refresh import RefreshReport, tokens_refresh
from scoring.services.schedule import BATCH_SIZE
from tokens.models import Token


class Command(BaseCommand):
    help = "Refresh tokens now: fetch their pairs from DexScreener, score them, store snapshots."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--group", choices=["hot", "cold", "all"], default="all")
        parser.add_argument("--mint", action="append", default=[], help="only this mint (repeat)")

    def handle(self, *args: Any, group: str, mint: list[str], **options: Any) -> None:
        ids = self._token_ids(group, mint)
        total = RefreshReport()
        client = dexscreener_client()
        for start in range(0, len(ids), BATCH_SIZE):
            total.merge(tokens_refresh(token_ids=ids[start : start + BATCH_SIZE], fetcher=client))
            self.stdout.write(f"  {min(start + BATCH_SIZE, len(ids))}/{len(ids)} tokens")
        outcomes = ", ".join(f"{n} {kind}" for kind, n in sorted(total.outcomes.items())) or "none"
        self.stdout.write(
            self.style.SUCCESS(
                f"refreshed {total.tokens} tokens with {total.requests} DexScreener requests "
                f"in {total.seconds:.1f}s: {outcomes}; {total.activated} activated"
            )
        )

    def _token_ids(self, group: str, mints: list[str]) -> list[int]:
        if not mints:
            return token_ids_for_group(group)
        found = dict(
            Token.objects.refreshable()
            .filter(mint_address__in=mints)
            .values_list("mint_address", "pk")
        )
        unknown = sorted(set(mints) - set(found))
        if unknown:
            raise CommandError(f"no refreshable token with mint {', '.join(unknown)}")
        return [found[m] for m in mints]
