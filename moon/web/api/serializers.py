"""Token API shapes. They translate rows to JSON and query strings to values; no math here."""

from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scoring.engine import FLAGS, MODELS
from scoring.engine.flags import MEANINGS
from scoring.engine.risk import MEANINGS as RISK_MEANINGS
from scoring.engine.risk import RISK_FLAGS
from scoring.models import TokenScore
from scoring.selectors import DEFAULT_SORT, SORTS
from tokens.models import POOL_DATA_FIELDS, Pool, Token, token_is_hot

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 1_000_000  # deep offsets cost a scan; filters narrow better
MAX_FRESH_HOURS = 24 * 365
DEFAULT_HISTORY = 20
MAX_HISTORY = 500
ALL_FLAGS = [*FLAGS, *RISK_FLAGS]  # the snapshot's, then the risk check's
SORT_CHOICES = [f"{sign}{key}" for key in SORTS for sign in ("-", "")]


# --- OpenAPI descriptions of the JSON columns ------------------------------------------------
class QualityIssueSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable issue code, e.g. `tx_5m_exceeds_1h`.")
    message = serializers.CharField()
    severity = serializers.ChoiceField(choices=["critical", "warning"])


class MetricsSerializer(serializers.Serializer[Any]):
    """The aggregated inputs of a snapshot and its data-quality verdict, one name per value.

    Input keys are absent when nothing could be aggregated (a fallback or emergency snapshot,
    or a token never scored); the quality keys are present on every scored snapshot.
    """

    L_tot = serializers.FloatField(required=False, help_text="Liquidity (USD) of the kept pools.")
    tx_5m = serializers.IntegerField(required=False)
    tx_1h = serializers.IntegerField(required=False)
    vol_5m = serializers.FloatField(required=False)
    vol_1h = serializers.FloatField(required=False)
    buys_5m = serializers.IntegerField(required=False)
    sells_5m = serializers.IntegerField(required=False)
    pool_count = serializers.IntegerField(required=False, help_text="Kept pools.")
    primary_pair_address = serializers.CharField(required=False, allow_null=True)
    primary_dex_id = serializers.CharField(required=False, allow_null=True)
    price_usd = serializers.FloatField(required=False, allow_null=True)
    dp5 = serializers.FloatField(required=False, allow_null=True)
    dp15 = serializers.FloatField(required=False, allow_null=True)
    hours_since_migration = serializers.FloatField(required=False, allow_null=True)
    data_quality_ok = serializers.BooleanField(required=False, help_text="No issue at all.")
    data_quality_issues = QualityIssueSerializer(many=True, required=False)
    fallback = serializers.ChoiceField(
        choices=["fallback", "emergency", "degraded"],
        required=False,
        allow_null=True,
        help_text="null: a normal snapshot; otherwise the kind of fallback (docs/scoring.md).",
    )
    recalculated = serializers.BooleanField(
        required=False, help_text="Present on snapshots written by a recalculation."
    )


COMPONENTS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "number"},
    "description": "Component name -> value, plus `final_score`. "
    + "; ".join(
        f"{model.name}: " + ", ".join(f"{c.key} ({c.formula})" for c in model.components)
        for model in MODELS.values()
    )
    + ".",
    "example": {
        "tx_accel": 1.2878,
        "vol_momentum": 2.1292,
        "token_freshness": 1.0,
        "orderflow_imbalance": 0.1102,
        "final_score": 1.1318,
    },
}


@extend_schema_field(COMPONENTS_SCHEMA)
class ComponentsField(serializers.JSONField):
    pass


@extend_schema_field(MetricsSerializer)
class MetricsField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": ALL_FLAGS},
        "description": "What the data says beside the score (the snapshot's flags, then the "
        "risk check's): "
        + "; ".join(
            f"`{flag}`: {meaning}" for flag, meaning in {**MEANINGS, **RISK_MEANINGS}.items()
        ),
    }
)
class FlagsField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "enum": list(RISK_FLAGS)},
        "description": "; ".join(f"`{flag}`: {meaning}" for flag, meaning in RISK_MEANINGS.items()),
    }
)
class RiskFlagsField(serializers.JSONField):
    pass


class RiskSerializer(serializers.Serializer[Any]):
    """The latest risk check, as the token row carries it."""

    checked_at = serializers.DateTimeField(
        source="risk_checked_at",
        allow_null=True,
        help_text="When the chain was last read (null: not yet).",
    )
    complete = serializers.BooleanField(
        source="risk_complete",
        help_text="Every fact was read. false: some are unknown, and unknown is not safe.",
    )
    flags = RiskFlagsField(source="risk_flags")


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "properties": {
                "value": {"description": "null with `error`: unknown; null without: none."},
                "source": {"type": "string", "description": "The RPC method or record read."},
                "at": {"type": "string", "format": "date-time"},
                "error": {"type": "string", "description": "Why it could not be read."},
            },
            "required": ["value", "source", "at"],
        },
        "description": "token_program, mint_authority, freeze_authority, extensions, "
        "dangerous_extensions, supply, top_holders, top10_share, creator, creator_share, "
        "creator_launches_7d: each with its source and time (docs/risk.md).",
    }
)
class RiskFactsField(serializers.JSONField):
    pass


class RiskDetailSerializer(RiskSerializer):
    """The latest risk check with every fact it read."""

    creator = serializers.CharField(allow_blank=True, help_text="The coin's creator, if known.")
    facts = RiskFactsField()


def risk_summary(token: Token, zone: tzinfo) -> dict[str, Any]:
    return {
        "checked_at": json_value(token.risk_checked_at, zone),
        "complete": token.risk_complete,
        "flags": token.risk_flags,
    }


# --- Responses -------------------------------------------------------------------------------
def json_value(value: Any, zone: tzinfo) -> Any:
    """A column value as DRF renders it: datetimes in ISO 8601 in `zone`, UTC as `Z`."""
    if isinstance(value, datetime):
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value


class TokenSerializer(serializers.ModelSerializer[Token]):
    """A token with its latest snapshot, as copied onto the token row (no join)."""

    image_url = serializers.CharField(read_only=True, help_text="A URL, or empty when unknown.")
    score = serializers.FloatField(
        allow_null=True, read_only=True, help_text="Raw score of the latest snapshot."
    )
    smoothed_score = serializers.FloatField(
        allow_null=True, read_only=True, help_text="EWMA of the score (hot/cold, sorting)."
    )
    raw_components = ComponentsField(read_only=True)
    smoothed_components = ComponentsField(read_only=True)
    metrics = MetricsField(read_only=True)
    flags = FlagsField(source="all_flags", read_only=True)
    risk = RiskSerializer(
        source="*", read_only=True, help_text="The latest risk check (docs/risk.md)."
    )
    created_at = serializers.DateTimeField(read_only=True, help_text="When moon first saw it.")
    scored_at = serializers.DateTimeField(
        allow_null=True, read_only=True, help_text="When the latest snapshot was written."
    )
    hot = serializers.SerializerMethodField(
        help_text="Smoothed score >= the active settings' min_score: refreshed every "
        "hot_interval_sec."
    )

    def get_hot(self, token: Token) -> bool:
        return token_is_hot(token.smoothed_score, self.context["min_score"])

    def to_representation(self, instance: Token) -> dict[str, Any]:
        """The declared fields, each read from the attribute of its name.

        Lists render 50-200 of these per request; DRF's per-field machinery cost more than
        the query. tests/api/test_serializers.py checks this equals DRF's own rendering.
        """
        zone = timezone.get_current_timezone()
        data: dict[str, Any] = {}
        for name in TokenSerializer.Meta.fields:
            if name == "flags":
                data[name] = instance.all_flags
            elif name == "risk":
                data[name] = risk_summary(instance, zone)
            elif name != "hot":
                data[name] = json_value(getattr(instance, name), zone)
        data["hot"] = token_is_hot(instance.smoothed_score, self.context["min_score"])
        return data

    class Meta:
        model = Token
        fields = [
            "mint_address",
            "name",
            "symbol",
            "image_url",
            "status",
            "score",
            "smoothed_score",
            "raw_components",
            "smoothed_components",
            "scoring_model",
            "metrics",
            "liquidity_usd",
            "tx_5m",
            "volume_5m",
            "pool_count",
            "price_usd",
            "market_cap_usd",
            "price_change_5m",
            "price_change_1h",
            "flags",
            "risk",
            "migrated_at",
            "created_at",
            "scored_at",
            "last_updated_at",
            "hot",
        ]
        read_only_fields = fields


RISK_COLUMNS = ["risk_flags", "risk_complete", "risk_checked_at"]
# The model columns a token answer reads (the list fetches only these).
TOKEN_COLUMNS = [
    *(name for name in TokenSerializer.Meta.fields if name not in ("hot", "risk")),
    *RISK_COLUMNS,
]


class SnapshotSerializer(serializers.ModelSerializer[TokenScore]):
    raw_components = ComponentsField(read_only=True)
    smoothed_components = ComponentsField(read_only=True)
    metrics = MetricsField(read_only=True)
    flags = FlagsField(read_only=True)

    class Meta:
        model = TokenScore
        fields = [
            "id",
            "score",
            "smoothed_score",
            "raw_components",
            "smoothed_components",
            "scoring_model",
            "metrics",
            "settings_version",
            "flags",
            "created_at",
        ]
        read_only_fields = fields


class TokenDetailSerializer(TokenSerializer):
    """Describes the detail answer, which the view composes from TokenSerializer and
    SnapshotSerializer."""

    latest = SnapshotSerializer(
        read_only=True, allow_null=True, help_text="The newest snapshot (null: never scored)."
    )
    history = SnapshotSerializer(
        many=True, read_only=True, help_text="The newest `history_limit` snapshots, newest first."
    )
    risk = RiskDetailSerializer(
        source="*", read_only=True, help_text="The latest risk check, every fact."
    )

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "latest", "history"]
        read_only_fields = fields


class TokenPageSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(
        allow_null=True, help_text="null on the first page (and always, in a cursor walk)."
    )
    limit = serializers.IntegerField()
    offset = serializers.IntegerField(help_text="Position of the first result in the ranking.")
    results = TokenSerializer(many=True)


class PoolSerializer(serializers.ModelSerializer[Pool]):
    labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    url = serializers.CharField(read_only=True, help_text="DexScreener page, or empty.")

    class Meta:
        model = Pool
        fields = ["pair_address", *(name for name in POOL_DATA_FIELDS if name != "token")]
        read_only_fields = fields


class TokenPoolsSerializer(serializers.Serializer[Any]):
    mint_address = serializers.CharField()
    results = PoolSerializer(many=True, help_text="Every pool, the most liquid first.")


class RefreshQueuedSerializer(serializers.Serializer[Any]):
    task_id = serializers.CharField(help_text="Celery task id of the queued refresh_batch.")
    status = serializers.ChoiceField(choices=["queued"])
    mint_address = serializers.CharField()


# --- Query strings ---------------------------------------------------------------------------
FLAG_CHOICE = '"{input}" is not a flag; give ' + ", ".join(ALL_FLAGS) + "."


class StatusListField(serializers.ListField):
    """`?status=active&status=monitoring` or `?status=active,monitoring`."""

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, list):
            data = [part for item in data for part in str(item).split(",")]
        return super().to_internal_value(data)


def flag_list(help_text: str) -> StatusListField:
    """A query parameter naming flags; an unknown one is refused by name."""
    child = serializers.ChoiceField(
        choices=ALL_FLAGS, error_messages={"invalid_choice": FLAG_CHOICE}
    )
    return StatusListField(child=child, required=False, help_text=help_text)


class TokenListQuerySerializer(serializers.Serializer[Any]):
    status = StatusListField(
        child=serializers.ChoiceField(
            choices=Token.Status.values,
            error_messages={
                "invalid_choice": '"{input}" is not a token status; give '
                + ", ".join(Token.Status.values)
                + "."
            },
        ),
        required=False,
        help_text="Only these statuses (repeat it, or separate with commas). Default: every "
        "status but archived; ask for `archived` to see archived tokens.",
    )
    min_score = serializers.FloatField(required=False, help_text="Smoothed score at least this.")
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Mint address prefix, or part of the symbol or name (case-insensitive).",
    )
    fresh_hours = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=MAX_FRESH_HOURS,
        help_text="Migrated within this many hours.",
    )
    hot = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only hot tokens: smoothed score >= the active settings' min_score.",
    )
    sort = serializers.ChoiceField(
        choices=SORT_CHOICES,
        default=DEFAULT_SORT,
        help_text="Sort key, `-` for descending; NULLs last, ties by id. Components sort on "
        "their smoothed value; `age` ascending is the newest migration first.",
    )
    flags = flag_list(
        "Only tokens carrying every one of these flags (repeat it, or separate with commas)."
    )
    exclude_flags = flag_list(
        "Leave out tokens carrying any of these flags, e.g. "
        "`exclude_flags=mint_authority,freeze_authority`."
    )
    hide_risky = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only tokens whose risk check is complete and raised no flag (unknown is "
        "not safe).",
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    offset = serializers.IntegerField(
        min_value=0,
        max_value=MAX_OFFSET,
        default=0,
        help_text="Offset paging: a ranking that changes between two requests (scores move "
        "every 30 s) can repeat or skip tokens across pages. Use `paging=cursor` to walk it "
        "exactly once.",
    )
    paging = serializers.ChoiceField(
        choices=["offset", "cursor"],
        default="offset",
        help_text="`cursor`: the first page freezes the ranking (for 10 minutes) and each "
        "`next` link carries a `cursor`; every token the filters matched then appears exactly "
        "once, with its current values. The filters and sort of a walk are its first page's.",
    )
    cursor = serializers.CharField(
        required=False,
        max_length=40,
        help_text="Given by the `next` link of a cursor walk; never made by hand.",
    )


class TokenDetailQuerySerializer(serializers.Serializer[Any]):
    history_limit = serializers.IntegerField(
        min_value=0,
        max_value=MAX_HISTORY,
        default=DEFAULT_HISTORY,
        help_text="How many snapshots `history` holds, newest first.",
    )
