"""Register the migrations on chain that the feed missed, in this process."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ingestion.services.reconcile import migrations_reconcile


def _hours(text: str) -> float:
    value = float(text)
    if not 0 < value <= 24 * 30:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Read pump.fun's migration account on chain back to the last run (or --hours back) and "
        "register every migration moon does not know yet."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--hours",
            type=_hours,
            default=None,
            help="look back this many hours whatever the last run reached (up to 720)",
        )

    def handle(self, *args: Any, hours: float | None, **options: Any) -> None:
        report = migrations_reconcile(hours=hours, progress=lambda line: self.stdout.write(line))
        for mint in report.registered_mints:
            self.stdout.write(f"  registered {mint}")
        if report.result in {"failed", "busy"}:
            raise CommandError(report.summary() + (f": {report.error}" if report.error else ""))
        style = self.style.SUCCESS if report.result == "ok" else self.style.WARNING
        self.stdout.write(style(report.summary()))
