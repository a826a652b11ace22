import dataclasses

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import FloatField, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from scoring.engine import MODELS, ScoringParams

DEFAULTS = ScoringParams()  # every default below is the engine's
MODEL_CHOICES = [(model.name, model.label) for model in MODELS.values()]


def validate_alpha(value: float) -> None:
    if not 0 < value <= 1:
        raise ValidationError(
            "EWMA alpha must be above 0 and at most 1 (got %(value)s).",
            code="alpha_range",
            params={"value": value},
        )


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def validate_csv_list(value: str) -> None:
    if any(not item.replace("-", "").replace("_", "").isalnum() for item in _split(value)):
        raise ValidationError("Give a comma-separated list of plain names.", code="csv_list")


NON_NEGATIVE = [MinValueValidator(0.0)]
# A weight beyond 100 only ever comes from a typo (or 1e308); the score is normalised anyway.
WEIGHT = [MinValueValidator(0.0), MaxValueValidator(100.0)]
PENALTY = [MinValueValidator(0.0), MaxValueValidator(1.0)]
AMOUNT_USD = [MinValueValidator(0.0), MaxValueValidator(1e12)]


class ScoringSettingsQuerySet(models.QuerySet["ScoringSettings"]):
    def active(self) -> "ScoringSettings":
        """The newest version: the one every refresh applies."""
        latest = self.order_by("-version").first()
        return latest if latest is not None else ScoringSettings()

    def active_min_score(self) -> Coalesce:
        """The active version's min_score as an SQL expression (the default when there is no
        version yet), for a query that needs the hot line without a read of its own."""
        latest = self.order_by("-version").values("min_score")[:1]
        return Coalesce(Subquery(latest), Value(DEFAULTS.min_score), output_field=FloatField())


class ScoringSettings(models.Model):
    """Runtime scoring settings. Rows are never edited: each save is a new version."""

    class ActivationRule(models.TextChoices):
        ARBITRAGE = "arbitrage", "PumpSwap + external pool (arbitrage)"
        ANY_POOL = "any_pool", "Any kept pool"

    version = models.PositiveIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why this version exists.")

    scoring_model_active = models.CharField(
        "scoring model",
        max_length=32,
        choices=MODEL_CHOICES,
        default=DEFAULTS.scoring_model_active,
        help_text="The model every refresh scores with (docs/scoring.md).",
    )
    w_tx = models.FloatField(
        "weight: tx acceleration",
        default=DEFAULTS.w_tx,
        validators=WEIGHT,
        help_text="How much the pace of trades in the last 5 minutes counts.",
    )
    w_vol = models.FloatField(
        "weight: volume momentum",
        default=DEFAULTS.w_vol,
        validators=WEIGHT,
        help_text="How much the pace of volume in the last 5 minutes counts.",
    )
    w_fresh = models.FloatField(
        "weight: freshness",
        default=DEFAULTS.w_fresh,
        validators=WEIGHT,
        help_text="How much a young token counts (v2: only with momentum behind it).",
    )
    w_oi = models.FloatField(
        "weight: buy pressure",
        default=DEFAULTS.w_oi,
        validators=WEIGHT,
        help_text="How much more buying than selling in the last 5 minutes counts.",
    )
    ewma_alpha = models.FloatField(
        "smoothing (EWMA alpha)",
        default=DEFAULTS.ewma_alpha,
        validators=[validate_alpha],
        help_text="Weight of the newest score in the smoothed score: 1 = no smoothing.",
    )
    freshness_threshold_hours = models.FloatField(
        "fresh for (hours)",
        default=DEFAULTS.freshness_threshold_hours,
        validators=[MinValueValidator(0.1)],
        help_text="Freshness falls from 1 at migration to 0 after this many hours.",
    )
    min_score = models.FloatField(
        "hot line (smoothed score)",
        default=DEFAULTS.min_score,
        validators=NON_NEGATIVE,
        help_text="Smoothed score from which a token is hot.",
    )
    hot_interval_sec = models.PositiveIntegerField(
        "refresh hot tokens every (seconds)",
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(3600)],
        help_text="Hot tokens (at or above the hot line) are scored again this often.",
    )
    cold_interval_sec = models.PositiveIntegerField(
        "refresh other tokens every (seconds)",
        default=120,
        validators=[MinValueValidator(5), MaxValueValidator(86400)],
        help_text="Every other live token is scored again this often.",
    )
    min_pool_liquidity_usd = models.FloatField(
        "pool counted from liquidity (USD)",
        default=DEFAULTS.min_pool_liquidity_usd,
        validators=AMOUNT_USD,
        help_text="A pool with less liquidity is left out of the score.",
    )
    excluded_dex_ids = models.CharField(
        "DEXes left out",
        max_length=300,
        default=",".join(DEFAULTS.excluded_dex_ids),
        blank=True,
        validators=[validate_csv_list],
        help_text="DexScreener dexId values, comma-separated (the bonding curve is not a pool).",
    )
    allowed_quote_symbols = models.CharField(
        "quote tokens counted",
        max_length=300,
        default=",".join(DEFAULTS.allowed_quote_symbols),
        validators=[validate_csv_list],
        help_text="Pools quoted in other tokens are left out; comma-separated symbols.",
    )
    activation_min_liquidity_usd = models.FloatField(
        "activation: pool liquidity from (USD)",
        default=DEFAULTS.activation_min_liquidity_usd,
        validators=AMOUNT_USD,
        help_text="Pools below this do not count towards activation.",
    )
    activation_rule = models.CharField(
        "activation: what makes a token active",
        max_length=16,
        choices=ActivationRule,
        default=DEFAULTS.activation_rule,
        help_text="Arbitrage: a PumpSwap pool and an external one; any pool: one kept pool.",
    )
    monitoring_timeout_hours = models.FloatField(
        "archive unactivated after (hours)",
        default=12.0,
        validators=[MinValueValidator(0.1)],
        help_text="A token still monitoring after this long is archived.",
    )
    archive_below_hours = models.FloatField(
        "archive when not hot for (hours)",
        default=12.0,
        validators=[MinValueValidator(0.1)],
        help_text="An active token never hot during this long is archived.",
    )
    weight_s = models.FloatField(
        "legacy weight: price surge",
        default=DEFAULTS.weight_s,
        validators=WEIGHT,
        help_text="Legacy model: the 5-minute price move.",
    )
    weight_l = models.FloatField(
        "legacy weight: liquidity",
        default=DEFAULTS.weight_l,
        validators=WEIGHT,
        help_text="Legacy model: liquidity depth.",
    )
    weight_m = models.FloatField(
        "legacy weight: momentum",
        default=DEFAULTS.weight_m,
        validators=WEIGHT,
        help_text="Legacy model: the 5-minute move against the hour's.",
    )
    weight_t = models.FloatField(
        "legacy weight: trading",
        default=DEFAULTS.weight_t,
        validators=WEIGHT,
        help_text="Legacy model: trades per minute.",
    )
    snapshot_retention_days = models.PositiveIntegerField(
        "keep snapshots for (days)",
        default=14,
        validators=[MinValueValidator(1)],
        help_text="Older ones are thinned to one per token per 10 minutes, deleted after 4x.",
    )
    # Scoring spec v2's constants (docs/scoring.md, "Hybrid momentum v2").
    young_minutes = models.FloatField(
        "young below (minutes)",
        default=DEFAULTS.young_minutes,
        validators=[MinValueValidator(0.0), MaxValueValidator(60.0)],
        help_text="Less history than this: no acceleration signal, and the flag young.",
    )
    full_activity_tx_5m = models.FloatField(
        "full confidence at trades (5 min)",
        default=DEFAULTS.full_activity_tx_5m,
        validators=[MinValueValidator(1.0), MaxValueValidator(100_000.0)],
        help_text="Trades in 5 minutes at which an acceleration counts whole.",
    )
    full_activity_vol_5m_usd = models.FloatField(
        "full confidence at volume (5 min, USD)",
        default=DEFAULTS.full_activity_vol_5m_usd,
        validators=[MinValueValidator(1.0), MaxValueValidator(1e9)],
        help_text="Volume in 5 minutes at which a volume acceleration counts whole.",
    )
    thin_tx_5m = models.FloatField(
        "thin below trades (5 min)",
        default=DEFAULTS.thin_tx_5m,
        validators=[MinValueValidator(0.0), MaxValueValidator(10_000.0)],
        help_text="Fewer trades than this in 5 minutes: the flag thin.",
    )
    accel_saturation = models.FloatField(
        "pace ratio scoring 1",
        default=DEFAULTS.accel_saturation,
        validators=[MinValueValidator(1.01), MaxValueValidator(1000.0)],
        help_text="The pace ratio (last 5 minutes vs the rest of the hour) that scores 1.",
    )
    implausible_liquidity_factor = models.FloatField(
        "fake liquidity: times its quote reserve",
        default=DEFAULTS.implausible_liquidity_factor,
        validators=[MinValueValidator(1.0), MaxValueValidator(10_000.0)],
        help_text="A pool claiming more than this x twice its quote reserve is left out.",
    )
    rug_liquidity_fraction = models.FloatField(
        "rug: liquidity left below",
        default=DEFAULTS.rug_liquidity_fraction,
        validators=[MinValueValidator(0.01), MaxValueValidator(1.0)],
        help_text="Kept liquidity below this share of its peak: rugged.",
    )
    rug_min_peak_usd = models.FloatField(
        "rug: from a peak of (USD)",
        default=DEFAULTS.rug_min_peak_usd,
        validators=[MinValueValidator(0.0), MaxValueValidator(1e12)],
        help_text="Liquidity rugs are only called on tokens whose peak reached this.",
    )
    rug_price_drop = models.FloatField(
        "rug: price fall within the hour",
        default=DEFAULTS.rug_price_drop,
        validators=[MinValueValidator(0.01), MaxValueValidator(1.0)],
        help_text="A primary price fall of this share or more within the hour: rugged.",
    )

    # Risk panel (docs/risk.md): when a flag is raised, and what it costs the score.
    risk_top10_share = models.FloatField(
        "risk: top-10 share above",
        default=DEFAULTS.risk_top10_share,
        validators=[MinValueValidator(0.01), MaxValueValidator(1.0)],
        help_text="The 10 largest holders (pools, curve, burn left out) above this share of "
        "the supply: top10_concentrated.",
    )
    risk_creator_share = models.FloatField(
        "risk: creator share above",
        default=DEFAULTS.risk_creator_share,
        validators=[MinValueValidator(0.01), MaxValueValidator(1.0)],
        help_text="The creator holding more than this share of the supply: creator_holds.",
    )
    risk_serial_launches = models.PositiveIntegerField(
        "risk: creator's other launches (7 days)",
        default=int(DEFAULTS.risk_serial_launches),
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="This many other launches by the creator in 7 days or more: serial_creator.",
    )
    risk_recheck_minutes = models.PositiveIntegerField(
        "risk: check again after (minutes)",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text="A token's risk is read again this long after its last check (hot first).",
    )
    penalty_mint_authority = models.FloatField(
        "penalty: mint authority kept",
        default=DEFAULTS.penalty_mint_authority,
        validators=PENALTY,
        help_text="Taken off the raw score of a token with a live mint authority (0: none).",
    )
    penalty_freeze_authority = models.FloatField(
        "penalty: freeze authority kept",
        default=DEFAULTS.penalty_freeze_authority,
        validators=PENALTY,
        help_text="Taken off the raw score of a token with a live freeze authority (0: none).",
    )
    penalty_token2022_danger = models.FloatField(
        "penalty: dangerous extension",
        default=DEFAULTS.penalty_token2022_danger,
        validators=PENALTY,
        help_text="Taken off the raw score of a token with a dangerous extension (0: none).",
    )
    penalty_top10_concentrated = models.FloatField(
        "penalty: top 10 concentrated",
        default=DEFAULTS.penalty_top10_concentrated,
        validators=PENALTY,
        help_text="Taken off the raw score of a token with concentrated holders (0: none).",
    )
    penalty_creator_holds = models.FloatField(
        "penalty: creator holds much",
        default=DEFAULTS.penalty_creator_holds,
        validators=PENALTY,
        help_text="Taken off the raw score of a token with a creator holding much (0: none).",
    )
    penalty_serial_creator = models.FloatField(
        "penalty: serial creator",
        default=DEFAULTS.penalty_serial_creator,
        validators=PENALTY,
        help_text="Taken off the raw score of a token with a serial creator (0: none).",
    )

    objects = ScoringSettingsQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = "scoring settings"
        verbose_name_plural = "scoring settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(w_tx__gte=0) & Q(w_vol__gte=0) & Q(w_fresh__gte=0) & Q(w_oi__gte=0),
                name="scoring_weights_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(ewma_alpha__gt=0) & Q(ewma_alpha__lte=1), name="scoring_alpha_range"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.scoring_model_active})"

    def to_params(self) -> ScoringParams:
        """The engine's view of these settings: every ScoringParams field, read from this row."""
        return ScoringParams(**{name: getattr(self, name) for name in PARAM_FIELDS})


PARAM_FIELDS = tuple(field.name for field in dataclasses.fields(ScoringParams))


class TokenScore(models.Model):
    """One snapshot per token per refresh; none is ever skipped."""

    token = models.ForeignKey("tokens.Token", on_delete=models.CASCADE, related_name="scores")
    score = models.FloatField()
    smoothed_score = models.FloatField()
    raw_components = models.JSONField(default=dict)
    smoothed_components = models.JSONField(default=dict)
    scoring_model = models.CharField(max_length=50)
    metrics = models.JSONField(default=dict)
    settings_version = models.PositiveIntegerField(null=True)
    flags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "token_scores"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["token", "-created_at"], name="score_token_created_idx"),
            models.Index(fields=["created_at"], name="score_created_idx"),
            models.Index(fields=["scoring_model"], name="score_model_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.token_id} {self.score:.4f} @ {self.created_at:%Y-%m-%d %H:%M:%S}"
