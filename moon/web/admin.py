"""The Django admin: tokens with their pools and recent scores, snapshots, settings versions,
the dependencies as last judged, alert rules and their deliveries."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import model_to_dict
from django.http import HttpRequest

from ingestion.models import RiskCheck
from moon.lib.templatetags.moon_format import num, price, signed_pct, usd
from moon.operations.models import Dependency
from moon.push.models import AlertDelivery, AlertRule
from moon.push.services import delivery_test
from scoring.engine import weight_fields
from scoring.models import ScoringSettings, TokenScore
from scoring.services.settings import EDITABLE_FIELDS, SETTINGS_GROUPS, scoring_settings_save
from tokens.models import Pool, Token

RECENT_SCORES = 20


def shown(field: str, formatter: Callable[[Any], str], label: str = "") -> Callable[[Any], str]:
    """A list column showing ``field`` through one of the pages' formatters (0.463, $36.3K),
    sorted on the field itself."""

    @admin.display(description=label or field.replace("_", " "), ordering=field)
    def column(obj: Any) -> str:
        return formatter(getattr(obj, field))

    column.__name__ = f"{field}_shown"
    return column


SCORE, SMOOTHED = shown("score", num), shown("smoothed_score", num, "smoothed")
LIQUIDITY = shown("liquidity_usd", usd, "liquidity")
# The numbers the token's page shows read as the pages write them (0.463, $36.3K, $0.0₄6541,
# +12.3%), never as Python floats.
TOKEN_NUMBERS = (
    SCORE,
    SMOOTHED,
    LIQUIDITY,
    shown("volume_5m", usd, "volume 5m"),
    shown("price_usd", price, "price"),
    shown("market_cap_usd", usd, "market cap"),
    shown("price_change_5m", signed_pct, "price change 5m"),
    shown("price_change_1h", signed_pct, "price change 1h"),
    shown("peak_liquidity_usd", usd, "peak liquidity"),
)


class PoolInline(admin.TabularInline[Pool, Token]):
    model = Pool
    extra = 0
    can_delete = False
    fields = (  # type: ignore[assignment]  # Django takes callables here
        "dex_id",
        "pair_address",
        "quote_symbol",
        "kept",
        LIQUIDITY,
        "buys_5m",
        "sells_5m",
        shown("volume_5m", usd, "volume 5m"),
        shown("volume_1h", usd, "volume 1h"),
        shown("price_usd", price, "price"),
        "updated_at",
    )
    readonly_fields = fields  # type: ignore[assignment]  # Django takes callables here

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecentScoreInline(admin.TabularInline[TokenScore, Token]):
    model = TokenScore
    extra = 0
    can_delete = False
    verbose_name_plural = f"recent scores (latest {RECENT_SCORES})"
    fields = (  # type: ignore[assignment]  # Django takes callables here
        "created_at",
        SCORE,
        SMOOTHED,
        "scoring_model",
        "settings_version",
        "raw_components",
    )
    readonly_fields = fields  # type: ignore[assignment]  # Django takes callables here

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        self._parent = obj
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TokenScore]:
        queryset = super().get_queryset(request)
        parent = getattr(self, "_parent", None)
        if parent is None:
            return queryset.none()
        recent = list(
            TokenScore.objects.filter(token=parent)
            .order_by("-created_at", "-id")
            .values_list("pk", flat=True)[:RECENT_SCORES]
        )
        return queryset.filter(pk__in=recent).order_by("-created_at", "-id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin[Token]):
    list_display = (
        "mint_address",
        "symbol",
        "name",
        "status",
        SCORE,
        SMOOTHED,
        LIQUIDITY,
        "risk_flags",
        "scored_at",
        "migrated_at",
    )
    list_filter = ("status", "risk_complete")
    search_fields = ("mint_address", "symbol", "name")
    readonly_fields = (  # type: ignore[assignment]  # Django takes callables here
        "created_at",
        "last_updated_at",
        "scored_at",
        *TOKEN_NUMBERS,
        "scoring_model",
        "raw_components",
        "smoothed_components",
        "metrics",
        "tx_5m",
        "pool_count",
        "activated_at",
        "archived_at",
        "activation_misses",
        "risk_flags",
        "risk_complete",
        "risk_checked_at",
    )
    # Shown formatted above, never edited: a refresh owns them.
    exclude = tuple(column.__name__.removesuffix("_shown") for column in TOKEN_NUMBERS)
    inlines = (PoolInline, RecentScoreInline)
    date_hierarchy = "migrated_at"


@admin.register(Pool)
class PoolAdmin(admin.ModelAdmin[Pool]):
    list_display = (
        "pair_address",
        "token",
        "dex_id",
        "quote_symbol",
        "kept",
        LIQUIDITY,
        "updated_at",
    )
    list_filter = ("dex_id", "kept")
    search_fields = ("pair_address", "token__mint_address", "token__symbol")
    list_select_related = ("token",)
    raw_id_fields = ("token",)


@admin.register(ScoringSettings)
class ScoringSettingsAdmin(admin.ModelAdmin[ScoringSettings]):
    """Editing a version saves a new one; history stays untouched."""

    list_display = (
        "version",
        "scoring_model_active",
        *weight_fields(),
        "ewma_alpha",
        "min_score",
        "created_at",
        "created_by",
        "note",
    )
    readonly_fields = ("version", "created_at", "created_by")
    fieldsets = [
        (None, {"fields": ("version", "created_at", "created_by", "note")}),
        *((title, {"fields": fields}) for title, fields in SETTINGS_GROUPS),  # type: ignore[list-item]
    ]

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
        SCORE,
        SMOOTHED,
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


@admin.register(Dependency)
class DependencyAdmin(admin.ModelAdmin[Dependency]):
    """What /health and the watchdog last judged, and what was told: read only."""

    list_display = ("name", "status", "since", "reason", "alerted_status", "alerted_at")
    list_filter = ("status",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RiskCheck)
class RiskCheckAdmin(admin.ModelAdmin[RiskCheck]):
    """The latest risk check of each token, as the chain answered: read only."""

    list_display = ("token", "checked_at", "complete", "flags", "creator", "calls")
    list_filter = ("complete",)
    search_fields = ("token__mint_address", "token__symbol", "creator")
    list_select_related = ("token",)
    raw_id_fields = ("token",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin[AlertRule]):
    list_display = ("name", "event", "channel", "enabled", "cooldown_minutes", "created_at")
    list_filter = ("event", "channel", "enabled")
    search_fields = ("name", "url")
    readonly_fields = ("created_by", "created_at")
    actions = ("send_test",)

    @admin.action(description="Send a test alert")
    def send_test(self, request: HttpRequest, queryset: QuerySet[AlertRule]) -> None:
        count = 0
        for rule in queryset:
            delivery_test(rule)
            count += 1
        rules = "1 rule" if count == 1 else f"{count} rules"
        self.message_user(request, f"Test alerts queued for {rules}: see Alert deliveries.")

    def save_model(self, request: HttpRequest, obj: AlertRule, form: Any, change: bool) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin[AlertDelivery]):
    list_display = (
        "created_at",
        "rule",
        "title",
        "mint",
        "status",
        "attempts",
        "latency_ms",
        "error",
    )
    list_filter = ("status", "event", "rule")
    search_fields = ("mint", "title", "event_id")
    readonly_fields = [field.name for field in AlertDelivery._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
