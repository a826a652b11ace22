"""What intake keeps besides tokens: the launches heard on the feed and the chain's record of
migrations, with the reconciler's place in the migration account's history."""

from django.db import models
from django.utils import timezone

from ingestion.clients.pumpportal import NAME_MAX, POOL_MAX, SYMBOL_MAX, URI_MAX


class Creation(models.Model):
    """A token launch as the feed reported it: who created it, what they bought first, when.

    One per mint (the first frame wins). Kept for 7 days, and for good once the token migrated:
    it gives a token its creator and its time to graduate.
    """

    mint_address = models.CharField(max_length=44, unique=True)
    signature = models.CharField(max_length=100, blank=True)
    creator = models.CharField(max_length=44, blank=True, help_text="traderPublicKey")
    bonding_curve = models.CharField(max_length=44, blank=True)
    initial_buy = models.DecimalField(
        max_digits=16, decimal_places=6, null=True, blank=True, help_text="whole tokens"
    )
    initial_buy_sol = models.DecimalField(max_digits=18, decimal_places=9, null=True, blank=True)
    name = models.CharField(max_length=NAME_MAX, blank=True)
    symbol = models.CharField(max_length=SYMBOL_MAX, blank=True)
    uri = models.CharField(max_length=URI_MAX, blank=True)
    pool = models.CharField(max_length=POOL_MAX, blank=True)
    created_at = models.DateTimeField(help_text="When the feed reported the launch.")

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="creation_created_idx"),
            models.Index(fields=["creator", "created_at"], name="creation_creator_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol or '?'} ({self.mint_address}) by {self.creator or '?'}"


class ChainMigration(models.Model):
    """A graduation found on chain by the reconciler, and whether the feed had it first."""

    class HeardBy(models.TextChoices):
        FEED = "feed", "the feed had it"
        CHAIN = "chain", "only the chain"

    signature = models.CharField(max_length=100)
    mint_address = models.CharField(max_length=44)
    slot = models.BigIntegerField()
    block_time = models.DateTimeField()
    heard_by = models.CharField(max_length=8, choices=HeardBy)
    reconciled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["signature", "mint_address"], name="chainmigration_unique"
            )
        ]
        indexes = [
            models.Index(fields=["block_time"], name="chainmigration_time_idx"),
            models.Index(fields=["mint_address"], name="chainmigration_mint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.mint_address} at {self.block_time:%Y-%m-%d %H:%M:%S} ({self.heard_by})"


class ReconcileMark(models.Model):
    """How far the reconciler got through one account's signatures (newest first on chain).

    ``signature`` and everything older (within the look-back) has been read; ``checked_until``
    is when the last run that reached the chain's head started: no migration before it can
    still be missing. ``last_error`` is the last run's failure, empty after a clean run.
    """

    account = models.CharField(max_length=44, unique=True)
    signature = models.CharField(max_length=100, blank=True)
    slot = models.BigIntegerField(null=True, blank=True)
    block_time = models.DateTimeField(null=True, blank=True)
    checked_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.account} up to {self.signature or 'nothing yet'}"


class RiskCheck(models.Model):
    """The latest risk check of a token: each fact with its source, time and, when it could
    not be read, why (docs/risk.md). The token row carries the flags for the lists."""

    token = models.OneToOneField(
        "tokens.Token", on_delete=models.CASCADE, related_name="risk_check"
    )
    checked_at = models.DateTimeField()
    complete = models.BooleanField(help_text="Every fact was read; none is unknown.")
    flags = models.JSONField(default=list, blank=True)
    facts = models.JSONField(default=dict, blank=True)
    creator = models.CharField(max_length=44, blank=True)
    calls = models.FloatField(
        default=0, help_text="RPC calls this check cost (a batch's calls shared per token)."
    )

    class Meta:
        indexes = [models.Index(fields=["checked_at"], name="riskcheck_checked_idx")]

    def __str__(self) -> str:
        return f"risk of {self.token_id} at {self.checked_at:%Y-%m-%d %H:%M:%S}"
