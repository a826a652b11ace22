"""Read tokens' on-chain risk now, in this process, and print what was found."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ingestion.models import RiskCheck
from ingestion.services.risk import (
    BATCH,
    RiskReport,
    report_merge,
    risk_check,
    risk_check_due,
)
from moon.lib.solana import is_address
from tokens.models import Token


class Command(BaseCommand):
    help = (
        "Read the risk panel (authorities, extensions, holders, creator) of the given tokens, "
        "or of every token due for a check, and store it."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--mint",
            action="append",
            default=[],
            metavar="M",
            help="a known token's mint address (repeat for several); default: the tokens due",
        )
        parser.add_argument(
            "--limit", type=int, default=50, help="without --mint: check at most this many"
        )

    def handle(self, *args: Any, mint: list[str], limit: int, **options: Any) -> None:
        if mint:
            tokens = self._known(mint)
            report = RiskReport()
            for start in range(0, len(tokens), BATCH):
                report_merge(report, risk_check(tokens[start : start + BATCH]))
            checked = [token.pk for token in tokens]
        else:
            if limit < 1:
                raise CommandError("--limit must be at least 1")
            report = risk_check_due(limit=limit, deadline_seconds=600)
            if report.result == "busy":
                raise CommandError("another risk check is running; try again in a minute")
            checked = list(
                RiskCheck.objects.order_by("-checked_at").values_list("token_id", flat=True)[
                    : report.checked
                ]
            )
        for check in RiskCheck.objects.filter(token_id__in=checked).select_related("token"):
            self._print(check)
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def _known(self, mints: list[str]) -> list[Token]:
        bad = [m for m in mints if not is_address(m)]
        if bad:
            raise CommandError(f"not a Solana address: {', '.join(bad)}")
        tokens = list(Token.objects.filter(mint_address__in=mints))
        missing = set(mints) - {token.mint_address for token in tokens}
        if missing:
            raise CommandError(f"unknown to moon: {', '.join(sorted(missing))}")
        return tokens

    def _print(self, check: RiskCheck) -> None:
        token = check.token
        flags = ", ".join(check.flags) or "no flag"
        state = "complete" if check.complete else "INCOMPLETE"
        self.stdout.write(f"{token.symbol or '?'} {token.mint_address}: {flags} ({state})")
        for name, fact in check.facts.items():
            if "error" in fact:
                self.stdout.write(f"  {name}: unknown ({fact['source']}: {fact['error']})")
