"""factory-boy factories: plain, valid objects with no surprises."""

import hashlib

import base58
import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from ingestion.clients.solana_address import is_valid_address
from ingestion.models import ChainMigration, Creation
from scoring.models import ScoringSettings, TokenScore
from tokens.models import Pool, Token


def fake_address(seed: int, suffix: str = "") -> str:
    """A valid base58 Solana address (32 bytes) derived from `seed`."""
    for attempt in range(100):
        digits = base58.b58encode(hashlib.sha256(f"{seed}/{attempt}".encode()).digest()).decode()
        address = digits[: len(digits) - len(suffix)] + suffix
        if is_valid_address(address):
            return address
    raise AssertionError(f"no address for seed {seed} ending in {suffix!r}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class TokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Token

    mint_address = factory.Sequence(lambda n: fake_address(n))
    name = factory.Sequence(lambda n: f"Token {n}")
    symbol = factory.Sequence(lambda n: f"TK{n}")
    migration_signature = factory.Sequence(lambda n: f"sig{n}")
    migrated_at = factory.LazyFunction(timezone.now)


class PoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pool

    token = factory.SubFactory(TokenFactory)
    pair_address = factory.Sequence(lambda n: fake_address(10_000_000 + n))
    dex_id = "pumpswap"
    quote_symbol = "SOL"
    kept = True
    liquidity_usd = 25_000.0


class TokenScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TokenScore

    token = factory.SubFactory(TokenFactory)
    score = 0.5
    smoothed_score = 0.4
    scoring_model = "hybrid_momentum"
    settings_version = factory.LazyFunction(lambda: ScoringSettings.objects.active().version)


class CreationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Creation

    mint_address = factory.Sequence(lambda n: fake_address(20_000_000 + n, "pump"))
    creator = factory.Sequence(lambda n: fake_address(30_000_000 + n))
    name = factory.Sequence(lambda n: f"Launch {n}")
    symbol = factory.Sequence(lambda n: f"L{n}")
    created_at = factory.LazyFunction(timezone.now)


class ChainMigrationFactory(factory.django.DjangoModelFactory):
    """A graduation the reconciler found on chain; the feed had it unless ``heard_by="chain"``."""

    class Meta:
        model = ChainMigration

    signature = factory.Sequence(lambda n: f"chain-sig{n}")
    mint_address = factory.Sequence(lambda n: fake_address(40_000_000 + n, "pump"))
    slot = factory.Sequence(lambda n: 300_000_000 + n)
    block_time = factory.LazyFunction(timezone.now)
    heard_by = ChainMigration.HeardBy.FEED
