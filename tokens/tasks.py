"""Lifecycle and retention tasks."""

from celery import shared_task
from django.utils import timezone

from scoring.models import ScoringSettings
from tokens.services.lifecycle import tokens_archive


@shared_task(name="tokens.archive_tokens", time_limit=120)
def archive_tokens() -> int:
    return tokens_archive(settings=ScoringSettings.objects.active(), now=timezone.now())
