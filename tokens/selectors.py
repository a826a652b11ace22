"""Reads of tokens, shared by the pages and the API."""

from django.db.models import QuerySet

from tokens.models import Token


def token_list(*, include_archived: bool = False) -> QuerySet[Token]:
    tokens = Token.objects.all()
    if not include_archived:
        tokens = tokens.refreshable()
    return tokens.order_by("-smoothed_score", "-id")
