"""Template filters about flags: the snapshot's (scoring.engine.flags) and the risk check's."""

from collections.abc import Iterable

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from scoring.engine.flags import MEANINGS
from scoring.engine.risk import MEANINGS as RISK_MEANINGS

register = template.Library()


@register.filter
def flag_title(flag: str) -> str:
    """What a flag means, for its badge's tooltip."""
    return MEANINGS.get(flag) or RISK_MEANINGS.get(flag, flag)


@register.filter
def is_risk_flag(flag: str) -> bool:
    return flag in RISK_MEANINGS


@register.simple_tag
def flag_badges(flags: Iterable[str]) -> SafeString:
    """One badge per flag, its meaning as the tooltip; risk flags marked as such. A tag, not an
    included template: the dashboard draws it on every row."""
    return format_html_join(
        "",
        '<span class="badge flag flag-{0}{1}" data-flag="{0}" title="{2}">{0}</span>',
        ((flag, " risk" if is_risk_flag(flag) else "", flag_title(flag)) for flag in flags),
    )


@register.simple_tag
def status_badge(status: str) -> SafeString:
    return format_html('<span class="badge status-{0}">{0}</span>', status)
