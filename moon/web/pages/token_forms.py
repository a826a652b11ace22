"""The dashboard's query string, parsed into the selectors' TokenFilters."""

from collections.abc import Sequence

from django import forms

from scoring.selectors import DEFAULT_SORT, LANES, SORTS, TokenFilters
from tokens.models import Token

SORT_CHOICES = [(f"{prefix}{key}", f"{prefix}{key}") for key in SORTS for prefix in ("", "-")]
# A lane's order when the URL names none: the new lane shows the youngest first.
LANE_SORTS = {"new": "age"}


class TokenFilterForm(forms.Form):
    """GET parameters of `/`: every one optional; an invalid one is ignored, not fatal."""

    status = forms.ChoiceField(choices=[("", "Live"), *Token.Status.choices], required=False)
    lane = forms.ChoiceField(choices=list(LANES.items()), required=False)
    search = forms.CharField(required=False, max_length=100)
    min_score = forms.FloatField(required=False)
    fresh = forms.BooleanField(required=False)
    hot = forms.BooleanField(required=False)
    hide_risky = forms.BooleanField(required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def token_filters(
        self, *, hot_threshold: float, fresh_hours: float, pinned: Sequence[str] = ()
    ) -> TokenFilters:
        """The valid parameters as TokenFilters; `fresh` (and the new lane) means migrated
        within `fresh_hours`; `pinned` mints are left out (the table shows them on top)."""
        self.is_valid()
        data = self.cleaned_data
        status = data.get("status")
        lane = data.get("lane") or ""
        return TokenFilters(
            statuses=(status,) if status else (),
            min_score=data.get("min_score"),
            search=data.get("search") or "",
            fresh_hours=fresh_hours if data.get("fresh") or lane == "new" else None,
            hot_only=bool(data.get("hot")),
            hot_threshold=hot_threshold,
            sort=data.get("sort") or LANE_SORTS.get(lane, DEFAULT_SORT),
            hide_risky=bool(data.get("hide_risky")),
            lane=lane,
            exclude_mints=tuple(pinned),
        )
