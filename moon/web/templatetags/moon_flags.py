"""Template filters about the scoring engine's flags."""

from django import template

from scoring.engine.flags import MEANINGS

register = template.Library()


@register.filter
def flag_title(flag: str) -> str:
    """What a flag means, for its badge's tooltip."""
    return MEANINGS.get(flag, flag)
