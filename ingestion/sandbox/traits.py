"""What the chain says about a token beyond its trading: its token program, authorities,
Token-2022 extensions, who holds it and how it graduated.

Drawn from a `Random` of the mint alone, never from the market's own streams, so adding or
changing a trait never moves a price. `/_sandbox/migrate` can force any of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from random import Random
from typing import Any

# create_v2 (Token-2022 mints) went live on 2025-11-11 12:00 UTC: coins created before are
# classic SPL Token mints; after it, a few still come from the legacy create.
CREATE_V2_FROM_MS = 1_762_862_400_000
LEGACY_SHARE = 0.15
SPL = "spl-token"
SPL_2022 = "spl-token-2022"
# The Token-2022 extensions a risk check must flag; pump.fun's own mints carry none of them.
DANGEROUS_EXTENSIONS = (
    "permanentDelegate",
    "transferHook",
    "transferFeeConfig",
    "defaultAccountState",
    "nonTransferable",
)
# spread: many small holders; concentrated: a handful of wallets hold most of what the pool
# does not; creator: the creator kept more than a tenth of the supply.
HOLDER_PROFILES = ("spread", "concentrated", "creator")
MIGRATE_INSTRUCTIONS = ("migrate", "migrate_v2")


class TraitError(ValueError):
    """A forced trait that does not exist or contradicts another."""


@dataclass(frozen=True, slots=True)
class TokenTraits:
    """token_program: "spl-token" or "spl-token-2022". mint_authority / freeze_authority: the
    creator kept it (pump.fun revokes both). extension: one dangerous Token-2022 extension or
    None. holders: a HOLDER_PROFILES name. burn_share: share of the supply parked at the
    incinerator (it still counts in the supply); burned: raw tokens really burned after
    graduation (the supply drops below 1e15). migrate_instruction: which pump.fun instruction
    graduated it; migrated_by_creator: its creator signed the migration (else a bot did)."""

    token_program: str = SPL_2022
    mint_authority: bool = False
    freeze_authority: bool = False
    extension: str | None = None
    holders: str = "spread"
    burn_share: float = 0.0
    burned: int = 0
    migrate_instruction: str = "migrate_v2"
    migrated_by_creator: bool = False

    def __post_init__(self) -> None:
        if self.token_program not in (SPL, SPL_2022):
            raise TraitError(f"token_program is {SPL} or {SPL_2022}")
        if self.extension is not None and self.extension not in DANGEROUS_EXTENSIONS:
            raise TraitError(f"extension is one of {', '.join(DANGEROUS_EXTENSIONS)} or null")
        if self.extension is not None and self.token_program != SPL_2022:
            raise TraitError("extensions exist on spl-token-2022 mints only")
        if self.extension == "defaultAccountState" and not self.freeze_authority:
            raise TraitError("a frozen default account state needs a freeze authority")
        if self.holders not in HOLDER_PROFILES:
            raise TraitError(f"holders is one of {', '.join(HOLDER_PROFILES)}")
        if self.migrate_instruction not in MIGRATE_INSTRUCTIONS:
            raise TraitError(f"migrate_instruction is one of {', '.join(MIGRATE_INSTRUCTIONS)}")

    @property
    def extensions(self) -> list[str]:
        """Extension names in the order the mint stores them (and jsonParsed lists them): a
        mint's extensions are set up before it is initialized, its metadata after."""
        if self.token_program != SPL_2022:
            return []
        danger = [self.extension] if self.extension else []
        return ["metadataPointer", *danger, "tokenMetadata"]


def draw_traits(mint: str, created_ms: int) -> TokenTraits:
    rng = Random(f"traits:{mint}")
    legacy = created_ms < CREATE_V2_FROM_MS or rng.random() < LEGACY_SHARE
    program = SPL if legacy else SPL_2022
    mint_authority = rng.random() < 0.06
    freeze_authority = rng.random() < 0.06
    extension = None
    if program == SPL_2022 and rng.random() < 0.10:
        extension = rng.choice(DANGEROUS_EXTENSIONS)
        freeze_authority = freeze_authority or extension == "defaultAccountState"
    holders = rng.choices(HOLDER_PROFILES, (0.6, 0.25, 0.15))[0]
    burn_share = round(rng.uniform(0.005, 0.03), 4) if rng.random() < 0.15 else 0.0
    burned = rng.randrange(10**11, 10**12) if rng.random() < 0.3 else 0
    return TokenTraits(
        token_program=program,
        mint_authority=mint_authority,
        freeze_authority=freeze_authority,
        extension=extension,
        holders=holders,
        burn_share=burn_share,
        burned=burned,
        migrate_instruction="migrate" if rng.random() < 0.15 else "migrate_v2",
        migrated_by_creator=rng.random() < 0.4,
    )


def forced_traits(drawn: TokenTraits, patch: Mapping[str, Any]) -> TokenTraits:
    """`drawn` with the fields of `patch` forced (a forced extension brings Token-2022, a frozen
    default state its freeze authority)."""
    fields = {field.name for field in dataclasses.fields(TokenTraits)}
    unknown = set(patch) - fields
    if unknown:
        raise TraitError(f"unknown traits: {', '.join(sorted(unknown))}; known: {sorted(fields)}")
    changes = dict(patch)
    for name, value in changes.items():
        _check_type(name, value)
    if changes.get("extension") and "token_program" not in changes:
        changes["token_program"] = SPL_2022
    if changes.get("extension") == "defaultAccountState":
        changes.setdefault("freeze_authority", True)
    if changes.get("token_program") == SPL and "extension" not in changes:
        changes["extension"] = None
    try:
        return dataclasses.replace(drawn, **changes)
    except TypeError as error:
        raise TraitError(str(error)) from error


def _check_type(name: str, value: Any) -> None:
    default = getattr(TokenTraits(), name)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TraitError(f"{name} must be true or false")
    elif name == "burn_share":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 0.1:
            raise TraitError("burn_share is a fraction between 0 and 0.1")
    elif name == "burned":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**13:
            raise TraitError("burned is a raw amount between 0 and 10**13")
    elif value is not None and not isinstance(value, str):
        raise TraitError(f"{name} must be a string")


def traits_summary(traits: TokenTraits, creator: str, serial_creator: bool) -> dict[str, Any]:
    """Ground truth of the risk facts, as a risk panel should find them on chain."""
    return {
        "token_program": traits.token_program,
        "mint_authority": creator if traits.mint_authority else None,
        "freeze_authority": creator if traits.freeze_authority else None,
        "extensions": traits.extensions,
        "dangerous_extension": traits.extension,
        "holders": traits.holders,
        "burn_share": traits.burn_share,
        "burned": traits.burned,
        "serial_creator": serial_creator,
        "migrate_instruction": traits.migrate_instruction,
        "migrated_by_creator": traits.migrated_by_creator,
    }
