"""Token names, symbols and profile blocks in the style of pump.fun launches."""

from __future__ import annotations

from random import Random
from typing import Any

_ADJECTIVES = (
    "Baby",
    "Based",
    "Tiny",
    "Giga",
    "Sad",
    "Happy",
    "Angry",
    "Golden",
    "Dark",
    "Super",
    "Little",
    "Big",
    "Crazy",
    "Lucky",
    "Frozen",
    "Sleepy",
    "Pixel",
    "Cosmic",
    "Turbo",
    "Honest",
)
_NOUNS = (
    "Elephant",
    "Frog",
    "Cat",
    "Dog",
    "Penguin",
    "Hamster",
    "Goblin",
    "Whale",
    "Otter",
    "Capybara",
    "Wizard",
    "Banana",
    "Rocket",
    "Moon",
    "Chad",
    "Pepe",
    "Duck",
    "Monkey",
    "Dragon",
    "Toad",
)
_WORDS = ("Coin", "Inu", "Cult", "Club", "Army", "Protocol", "AI", "World", "Season", "Mode")
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_CDN = "https://cdn.dexscreener.com"
_SLUG = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


def draw_name_symbol(rng: Random) -> tuple[str, str]:
    """A meme name ("The Baby Elephant") and its ticker ("ELEPHANT", "BBYELEPHANT", ...)."""
    adjective, noun = rng.choice(_ADJECTIVES), rng.choice(_NOUNS)
    shape = rng.random()
    if shape < 0.35:
        name = f"The {adjective} {noun}"
        symbol = noun.upper()
    elif shape < 0.7:
        name = f"{adjective} {noun}"
        symbol = (adjective[0] + noun).upper()
    else:
        word = rng.choice(_WORDS)
        name = f"{noun} {word}"
        symbol = noun.upper()[:4] + word.upper()[:2]
    return name, symbol[:10]


def draw_uri(rng: Random) -> str:
    """An IPFS metadata URI with a CIDv1-looking base32 identifier."""
    cid = "".join(rng.choice(_BASE32) for _ in range(52))
    return f"https://ipfs.io/ipfs/bafkrei{cid}"


def _slug(rng: Random) -> str:
    return "".join(rng.choice(_SLUG) for _ in range(16))


def draw_profile(rng: Random, mint: str, handle: str, stamp_ms: int) -> dict[str, Any]:
    """A DexScreener `info` block: images, websites and socials, the way paid profiles look."""
    info: dict[str, Any] = {
        "imageUrl": f"{_CDN}/cms/images/{_slug(rng)}?width=800&height=800&quality=90",
        "header": f"{_CDN}/cms/images/{_slug(rng)}?width=1500&height=500&quality=90",
        "openGraph": f"{_CDN}/token-images/og/solana/{mint}?timestamp={stamp_ms}",
        "websites": [],
        "socials": [],
    }
    if rng.random() < 0.6:
        info["websites"].append({"url": f"https://{handle.lower()}.fun/", "label": "Website"})
    if rng.random() < 0.85:
        community = rng.randrange(10**18, 10**19)
        info["socials"].append(
            {"url": f"https://x.com/i/communities/{community}", "type": "twitter"}
        )
    if rng.random() < 0.4:
        info["socials"].append({"url": f"https://t.me/{handle.lower()}", "type": "telegram"})
    return info
