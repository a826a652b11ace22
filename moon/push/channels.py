"""The channels an alert goes out on: Apprise URLs, and moon's signed webhook.

Pure of models: a channel gets a URL, a title, a message and the webhook's JSON body, and
answers by returning (delivered) or raising ChannelError (with what went wrong).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

import apprise
import httpx

WEBHOOK_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
SIGNATURE_HEADER = "X-Moon-Signature"
DELIVERY_HEADER = "X-Moon-Delivery"
EVENT_HEADER = "X-Moon-Event"


class ChannelError(Exception):
    """The channel did not take the alert; the message says why."""


def apprise_refusal(url: str) -> str:
    """Why Apprise cannot use `url` ("" when it can)."""
    url = url.strip()
    if not url:
        return "Give the channel's URL."
    if _quietly(apprise.Apprise.instantiate, url) is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        return (
            f"Apprise cannot use this URL (scheme {scheme!r}, or its parts): see "
            "https://github.com/caronc/apprise/wiki for the forms, e.g. tgram://bottoken/chatid, "
            "discord://webhook_id/webhook_token, ntfys://topic, json://host/path."
        )
    return ""


def _quietly(call: Any, *args: Any) -> Any:
    """`call` with Apprise's own logger held to CRITICAL: a refused URL is the caller's
    answer to give, not an ERROR line in the logs."""
    apprise_logger = logging.getLogger("apprise")
    level = apprise_logger.level
    apprise_logger.setLevel(logging.CRITICAL)
    try:
        return call(*args)
    finally:
        apprise_logger.setLevel(level)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """X-Moon-Signature's value: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>" under secret>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def signature_valid(secret: str, body: bytes, header: str, *, tolerance: float = 300) -> bool:
    """Whether `header` signs `body` under `secret`, made at most `tolerance` seconds ago: what
    a receiver checks (docs/push.md shows it in a few lines)."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), header)


def send_webhook(url: str, secret: str, payload: dict[str, Any], *, delivery: str) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "moon-alerts",
        SIGNATURE_HEADER: signature(secret, body, int(time.time())),
        DELIVERY_HEADER: delivery,
        EVENT_HEADER: str(payload.get("alert", "")),
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT)
    except httpx.HTTPError as exc:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise ChannelError(message) from exc
    if not response.is_success:
        raise ChannelError(f"the webhook answered {response.status_code}")


def send_apprise(url: str, title: str, message: str) -> None:
    notifier = apprise.Apprise()
    if not _quietly(notifier.add, url):
        raise ChannelError(apprise_refusal(url) or "Apprise refused the URL")
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        result = notifier.notify(title=title, body=message)
    if not result:
        told = " ".join(line.split(" - ", 2)[-1] for line in captured.getvalue().splitlines())
        raise ChannelError(told.strip() or "Apprise could not deliver the alert")
