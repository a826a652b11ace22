"""Alert rules and their deliveries (docs/push.md)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models

from moon.push.channels import apprise_refusal
from moon.push.rules import KNOWN_FLAGS


def new_secret() -> str:
    return secrets.token_hex(32)


class AlertRule(models.Model):
    """An event worth telling, its filters, and where to tell it."""

    class Event(models.TextChoices):
        MIGRATION = "migration", "a token migrates"
        HOT = "hot", "a token turns hot"
        SCORE_AT_LEAST = "score_at_least", "the smoothed score reaches the threshold"
        RUGGED = "rugged", "a token is flagged rugged"
        RISK_FLAG = "risk_flag", "a token gets a risk flag"

    class Channel(models.TextChoices):
        APPRISE = "apprise", "Apprise URL (Telegram, Discord, Slack, ntfy, email, json://)"
        WEBHOOK = "webhook", "signed webhook (POST JSON, X-Moon-Signature)"

    name = models.CharField(max_length=100)
    event = models.CharField(max_length=16, choices=Event)
    threshold = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="score_at_least: the smoothed score (0-100) that fires the rule.",
    )
    flags = models.JSONField(
        default=list,
        blank=True,
        help_text="risk_flag: the flags that fire the rule (none listed: any risk flag).",
    )
    min_liquidity_usd = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Only tokens with at least this kept liquidity (USD). A token whose liquidity "
        "is not known yet (a migration) does not pass.",
    )
    max_age_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Only tokens migrated at most this many minutes ago."
    )
    exclude_flags = models.JSONField(
        default=list, blank=True, help_text="Never tokens carrying any of these flags."
    )
    channel = models.CharField(max_length=8, choices=Channel, default=Channel.APPRISE)
    url = models.CharField(
        "channel URL",
        max_length=1000,
        help_text="An Apprise URL (tgram://bot/chat, discord://id/token, ntfys://topic, "
        "mailto://..., json://host/path) or the webhook's http(s) URL.",
    )
    secret = models.CharField(
        max_length=64,
        default=new_secret,
        help_text="The webhook's signing key: X-Moon-Signature is t=<unix>,v1=<hex "
        "HMAC-SHA256 of '<t>.<body>'> under it.",
    )
    cooldown_minutes = models.PositiveIntegerField(
        default=30,
        validators=[MaxValueValidator(7 * 24 * 60)],
        help_text="The same rule tells the same token's same event at most once in this long.",
    )
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A rule is never stored with a channel that cannot be told, whoever saves it.
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.channel == self.Channel.WEBHOOK:
            try:
                URLValidator(schemes=["http", "https"])(self.url)
            except ValidationError:
                errors["url"] = "A webhook URL must be an http:// or https:// URL."
        elif refusal := apprise_refusal(self.url):
            errors["url"] = refusal
        if self.event == self.Event.SCORE_AT_LEAST and self.threshold is None:
            errors["threshold"] = "A score_at_least rule needs a threshold (0-100)."
        for name in ("flags", "exclude_flags"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
                errors[name] = "A list of flag names."
            elif unknown := [flag for flag in value if flag not in KNOWN_FLAGS]:
                errors[name] = (
                    f"Not a flag: {', '.join(unknown)} (flags: {', '.join(KNOWN_FLAGS)})."
                )
        if errors:
            raise ValidationError(errors)


# What a trader sets on a rule (the pages' form and the API's serializer): the rest is made.
RULE_FIELDS = (
    "name",
    "event",
    "threshold",
    "flags",
    "min_liquidity_usd",
    "max_age_minutes",
    "exclude_flags",
    "channel",
    "url",
    "cooldown_minutes",
    "enabled",
)


class AlertDelivery(models.Model):
    """One alert of one rule for one event: what was sent, how often, how it went."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        RETRYING = "retrying"
        SENT = "sent"
        FAILED = "failed"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=40, help_text="The event's id in the event stream.")
    event = models.CharField(max_length=16, help_text="The rule's event (or `test`).")
    mint = models.CharField(max_length=44, blank=True)
    title = models.CharField(max_length=200)
    payload = models.JSONField(help_text="The webhook's body; Apprise gets title and message.")
    status = models.CharField(max_length=8, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    event_at = models.DateTimeField(help_text="When the event was told (its commit).")
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="From the event's commit to the channel's answer."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "alert deliveries"
        constraints = [
            models.UniqueConstraint(fields=["rule", "event_id"], name="delivery_once_per_event")
        ]
        indexes = [
            models.Index(
                fields=["rule", "mint", "event", "created_at"], name="delivery_cooldown_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.event} {self.mint} ({self.status})"
