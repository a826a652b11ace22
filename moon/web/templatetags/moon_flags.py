"""Template filters about flags: the snapshot's (scoring.engine.flags) and the risk check's."""

from django import template

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
