"""Writing scoring settings: every save is a new version, validated like a form."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.forms.models import model_to_dict

from scoring.engine import MODELS
from scoring.engine.risk import PENALTY_FIELDS
from scoring.models import ScoringSettings
from scoring.services.periodic import periodic_tasks_sync

EDITABLE_FIELDS = tuple(
    field.name
    for field in ScoringSettings._meta.get_fields()
    if getattr(field, "editable", False) and field.name not in {"id", "note"}
)


def _weight_groups() -> list[tuple[tuple[str, ...], list[str]]]:
    """Each distinct set of weight fields with the models that read it (v1 and v2 share)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for model in MODELS.values():
        groups.setdefault(model.weights, []).append(model.label)
    return list(groups.items())


# The settings as the settings page and the admin group them; each model's weights come from
# its declaration, so a new model brings its own group.
SETTINGS_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Model", ("scoring_model_active",)),
    *((f"{' and '.join(labels)} weights", weights) for weights, labels in _weight_groups()),
    ("Smoothing and thresholds", ("ewma_alpha", "freshness_threshold_hours", "min_score")),
    (
        "Momentum v2: evidence and rugs",
        (
            "young_minutes",
            "full_activity_tx_5m",
            "full_activity_vol_5m_usd",
            "thin_tx_5m",
            "accel_saturation",
            "implausible_liquidity_factor",
            "rug_liquidity_fraction",
            "rug_min_peak_usd",
            "rug_price_drop",
        ),
    ),
    (
        "Risk panel: flags and penalties",
        (
            "risk_top10_share",
            "risk_creator_share",
            "risk_serial_launches",
            "risk_recheck_minutes",
            *PENALTY_FIELDS.values(),
        ),
    ),
    ("Refresh cadence", ("hot_interval_sec", "cold_interval_sec")),
    ("Pools counted", ("min_pool_liquidity_usd", "excluded_dex_ids", "allowed_quote_symbols")),
    (
        "Lifecycle",
        (
            "activation_rule",
            "activation_min_liquidity_usd",
            "monitoring_timeout_hours",
            "archive_below_hours",
        ),
    ),
    ("Retention", ("snapshot_retention_days",)),
)


def scoring_settings_save(
    *,
    changes: dict[str, Any],
    user: AbstractBaseUser | AnonymousUser | None = None,
    note: str = "",
) -> ScoringSettings:
    """Store the active settings with `changes` applied as a new version.

    Raises django.core.exceptions.ValidationError with field errors when a value is refused.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"unknown scoring settings: {', '.join(sorted(unknown))}")
    for _attempt in range(3):
        try:
            with transaction.atomic():
                candidate = _next_version_of(_locked_active(), changes, user, note)
                # Intervals live in the beat schedule too: follow the new version.
                transaction.on_commit(periodic_tasks_sync)
        except IntegrityError:
            continue  # a first version written alongside took the number; start again
        return candidate
    raise RuntimeError("could not allocate a settings version")


SAVE_LOCK = 7_246_001  # PostgreSQL advisory lock key: one settings save at a time


def _locked_active() -> ScoringSettings:
    """The newest version, read once this transaction holds the save lock: concurrent saves
    queue there, and each applies its changes to what the one before it stored (none is lost).
    SQLite's IMMEDIATE transactions already take one writer at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SAVE_LOCK])
    return ScoringSettings.objects.active()


def _next_version_of(
    current: ScoringSettings,
    changes: dict[str, Any],
    user: AbstractBaseUser | AnonymousUser | None,
    note: str,
) -> ScoringSettings:
    values = {
        name: value for name, value in model_to_dict(current).items() if name in EDITABLE_FIELDS
    }
    values.update(changes)
    candidate = ScoringSettings(
        **values, note=note, created_by=user if isinstance(user, User) else None
    )
    candidate.version = (current.version or 0) + 1 if current.pk else _next_version()
    candidate.full_clean()
    candidate.save(force_insert=True)
    return candidate


def _next_version() -> int:
    return (ScoringSettings.objects.aggregate(v=Max("version"))["v"] or 0) + 1
