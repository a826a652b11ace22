from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, OrderBy, Q
from django.utils import timezone

from moon.lib.solana import validate_mint


class TokenQuerySet(models.QuerySet["Token"]):
    def refreshable(self) -> "TokenQuerySet":
        return self.exclude(status=Token.Status.ARCHIVED)

    def hot(self, min_score: float) -> "TokenQuerySet":
        """Tokens for which token_is_hot holds: the hot refresh group."""
        return self.refreshable().filter(smoothed_score__gte=min_score)

    def cold(self, min_score: float) -> "TokenQuerySet":
        return self.refreshable().filter(
            Q(smoothed_score__lt=min_score) | Q(smoothed_score__isnull=True)
        )


class NullsLastIndex(models.Index):
    """An index on ``F(...).desc(nulls_last=True)`` expressions that SQLite can build too.

    SQLite refuses NULLS LAST in an index, and its DESC already sorts NULLs last, so there
    the index is built without the modifier.
    """

    def create_sql(
        self, model: type[models.Model], schema_editor: Any, using: str = "", **kwargs: Any
    ) -> Any:
        if schema_editor.connection.vendor == "sqlite":
            plain = [
                OrderBy(item.expression, descending=item.descending)
                for item in self.expressions
                if isinstance(item, OrderBy)
            ]
            index = models.Index(*plain, name=self.name)
            return index.create_sql(model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


def token_is_hot(smoothed_score: float | None, min_score: float) -> bool:
    """Hot: a smoothed score at or above min_score (a token never scored is not)."""
    return smoothed_score is not None and smoothed_score >= min_score


class Token(models.Model):
    """A migrated Pump.fun token, with a copy of its latest score so lists need no join."""

    class Status(models.TextChoices):
        MONITORING = "monitoring"
        ACTIVE = "active"
        ARCHIVED = "archived"

    class Source(models.TextChoices):
        FEED = "feed", "PumpPortal feed"
        CHAIN = "chain", "found on chain"

    mint_address = models.CharField(max_length=44, unique=True, validators=[validate_mint])
    name = models.CharField(max_length=200, blank=True)
    symbol = models.CharField(max_length=64, blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.MONITORING)
    migration_signature = models.CharField(max_length=100, unique=True, null=True, blank=True)
    migrated_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(
        max_length=8,
        choices=Source,
        default=Source.FEED,
        help_text="Where moon learnt of the migration: the live feed, or the chain afterwards.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_updated_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    activation_misses = models.PositiveSmallIntegerField(
        default=0,
        help_text="Refreshes in a row on which an active token failed the activation rule.",
    )
    refresh_lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    # The latest snapshot, copied from TokenScore on every refresh.
    score = models.FloatField(null=True, blank=True)
    smoothed_score = models.FloatField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    scoring_model = models.CharField(max_length=50, blank=True)
    raw_components = models.JSONField(default=dict, blank=True)
    smoothed_components = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    liquidity_usd = models.FloatField(null=True, blank=True)
    tx_5m = models.PositiveIntegerField(null=True, blank=True)
    volume_5m = models.FloatField(null=True, blank=True)
    pool_count = models.PositiveSmallIntegerField(default=0)
    flags = models.JSONField(default=list, blank=True, help_text="The latest snapshot's flags.")
    # The latest risk check (ingestion.RiskCheck keeps its facts), copied for the lists.
    risk_flags = models.JSONField(
        default=list, blank=True, help_text="The latest risk check's flags."
    )
    risk_complete = models.BooleanField(
        default=False, help_text="The latest risk check read every fact (none unknown)."
    )
    risk_checked_at = models.DateTimeField(null=True, blank=True)
    # The primary pool's market, as DexScreener gives it.
    price_usd = models.FloatField(null=True, blank=True, help_text="Primary pool's priceUsd.")
    market_cap_usd = models.FloatField(
        null=True, blank=True, help_text="Primary pool's marketCap (USD)."
    )
    price_change_5m = models.FloatField(
        null=True, blank=True, help_text="Primary pool's price change over 5 minutes, in percent."
    )
    price_change_1h = models.FloatField(
        null=True, blank=True, help_text="Primary pool's price change over the hour, in percent."
    )
    peak_liquidity_usd = models.FloatField(
        null=True, blank=True, help_text="The most kept liquidity the token ever had."
    )
    # Scoring state kept on the row so a refresh reads no snapshot history: the smoothed values
    # of the last snapshot computed from good data, and the last 10 good smoothed scores.
    ewma_state = models.JSONField(null=True, blank=True, editable=False)
    recent_good_scores = models.JSONField(default=list, blank=True, editable=False)

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["-smoothed_score", "-id"]
        indexes = [
            models.Index(fields=["status"], name="token_status_idx"),
            # DESC NULLS LAST, as tokens.selectors.ordering sorts: the best scores first and the
            # unscored last come straight off the index (a plain DESC index puts NULLs first,
            # and PostgreSQL would sort the whole table for every page).
            NullsLastIndex(
                F("score").desc(nulls_last=True), F("id").desc(), name="token_score_idx"
            ),
            NullsLastIndex(
                F("smoothed_score").desc(nulls_last=True), F("id").desc(), name="token_smoothed_idx"
            ),
            models.Index(fields=["status", "last_updated_at"], name="token_due_idx"),
            models.Index(fields=["-migrated_at"], name="token_migrated_idx"),
            # The dashboard's "data as of": the newest snapshot of a live token, off the index.
            models.Index(fields=["-scored_at"], name="token_scored_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol or '?'} ({self.mint_address})"

    @property
    def all_flags(self) -> list[str]:
        """The latest snapshot's flags, then the latest risk check's."""
        return [*self.flags, *self.risk_flags]


class Pool(models.Model):
    """One DexScreener pair of a token, upserted on every refresh."""

    token = models.ForeignKey(Token, on_delete=models.CASCADE, related_name="pools")
    pair_address = models.CharField(max_length=64, unique=True)
    dex_id = models.CharField(max_length=50)
    labels = models.JSONField(default=list, blank=True)
    quote_symbol = models.CharField(max_length=32, blank=True)
    url = models.URLField(max_length=300, blank=True)
    kept = models.BooleanField(default=False, help_text="Counted in the token's metrics.")
    liquidity_usd = models.FloatField(null=True, blank=True)
    buys_5m = models.PositiveIntegerField(default=0)
    sells_5m = models.PositiveIntegerField(default=0)
    buys_1h = models.PositiveIntegerField(default=0)
    sells_1h = models.PositiveIntegerField(default=0)
    volume_5m = models.FloatField(default=0)
    volume_1h = models.FloatField(default=0)
    volume_24h = models.FloatField(default=0)
    price_usd = models.FloatField(null=True, blank=True)
    price_change_5m = models.FloatField(null=True, blank=True)
    price_change_1h = models.FloatField(null=True, blank=True)
    market_cap_usd = models.FloatField(null=True, blank=True)
    pair_created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-liquidity_usd"]

    def __str__(self) -> str:
        return f"{self.dex_id} {self.pair_address}"


# Everything a refresh writes onto a pool row and the API shows of it: every column but the
# key and the pair address the row is found by.
POOL_DATA_FIELDS = tuple(
    field.name for field in Pool._meta.concrete_fields if field.name not in {"id", "pair_address"}
)


class WatchedToken(models.Model):
    """A token a signed-in user pinned to the top of the dashboard (anonymous browsers keep
    theirs in a cookie)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watched_tokens"
    )
    token = models.ForeignKey(Token, on_delete=models.CASCADE, related_name="watchers")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="watched_token_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} watches {self.token_id}"
