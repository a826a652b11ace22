"""The watchdog: judges every dependency on a fixed beat and tells each change once (see
moon.operations.alerts). Its own process, so that what it watches cannot silence it."""

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from moon.operations.alerts import Watchdog

logger = logging.getLogger("moon.operations.watchdog")


class Command(BaseCommand):
    help = "Watch moon's dependencies and alert on every change of their status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One check, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = settings.WATCHDOG_INTERVAL_SECONDS
        watchdog = Watchdog()
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        target = settings.ALERT_WEBHOOK_URL or "the log only (ALERT_WEBHOOK_URL is not set)"
        logger.info("watchdog: checking every %gs, alerts to %s", interval, target)
        while not stop.is_set():
            try:
                for alert in watchdog.check():
                    self.stdout.write(f"alerted: {alert.message}")
            except Exception:  # the next round may find things readable again
                logger.exception("watchdog: the check failed")
            if options["once"]:
                return
            stop.wait(interval)
            close_old_connections()  # a connection the database dropped meanwhile is reopened
        logger.info("watchdog: stopped")
