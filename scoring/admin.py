from typing import Any

from django.contrib import admin
from django.forms.models import model_to_dict
from django.http import HttpRequest

from scoring.models import ScoringSettings, TokenScore
from scoring.services.settings import EDITABLE_FIELDS, scoring_settings_save


@admin.register(ScoringSettings)
class ScoringSettingsAdmin(admin.ModelAdmin[ScoringSettings]):
    """Editing a version saves a new one; history stays untouched."""

    list_display = (
        "version",
        "scoring_model_active",
        "w_tx",
        "w_vol",
        "w_fresh",
        "w_oi",
        "ewma_alpha",
        "min_score",
        "created_at",
        "created_by",
        "note",
    )
    readonly_fields = ("version", "created_at", "created_by")
    fieldsets = (
        (None, {"fields": ("version", "created_at", "created_by", "note", "scoring_model_active")}),
        (
            "Hybrid momentum",
            {
                "fields": (
                    "w_tx",
                    "w_vol",
                    "w_fresh",
                    "w_oi",
                    "ewma_alpha",
                    "freshness_threshold_hours",
                )
            },
        ),
        ("Hot and cold", {"fields": ("min_score", "hot_interval_sec", "cold_interval_sec")}),
        (
            "Pools",
            {"fields": ("min_pool_liquidity_usd", "excluded_dex_ids", "allowed_quote_symbols")},
        ),
        (
            "Lifecycle",
            {
                "fields": (
                    "activation_rule",
                    "activation_min_liquidity_usd",
                    "monitoring_timeout_hours",
                    "archive_below_hours",
                    "snapshot_retention_days",
                )
            },
        ),
        ("Legacy model", {"fields": ("weight_s", "weight_l", "weight_m", "weight_t")}),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ScoringSettings, form: Any, change: bool
    ) -> None:
        changes = {
            name: value for name, value in model_to_dict(obj).items() if name in EDITABLE_FIELDS
        }
        saved = scoring_settings_save(changes=changes, user=request.user, note=obj.note)
        obj.pk, obj.version = saved.pk, saved.version


@admin.register(TokenScore)
class TokenScoreAdmin(admin.ModelAdmin[TokenScore]):
    list_display = (
        "token",
        "score",
        "smoothed_score",
        "scoring_model",
        "settings_version",
        "created_at",
    )
    list_filter = ("scoring_model",)
    search_fields = ("token__mint_address", "token__symbol")
    list_select_related = ("token",)
    raw_id_fields = ("token",)
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
