"""Walls: pages whose text is not an article but what stands in front of one, a paywall
stub, a consent dialog, an "enable JavaScript" notice, or nothing at all. Pure.

A wall is recognised by its shape, not by one phrase: it is short, and most of its text is
about subscribing, signing in, cookies and personal data, or the browser. Each kind has a
small vocabulary in several languages; a block counts for a kind when it uses the kind's
words (consent, the most generic, needs two different ones), and a text is a wall when the
blocks that count hold most of its words. A real article with a subscription box or a
cookie line in it is long, or mostly about something else, and stays an article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from ingest.text import fewer_words_than, normalise


class Wall(StrEnum):
    EMPTY = "empty"
    PAYWALL = "paywall"
    CONSENT = "consent"
    JAVASCRIPT = "javascript"


WALL_MAX_WORDS = 400  # past this a page is an article, whatever box it also shows
WALL_MAX_CHARS = 40 * WALL_MAX_WORDS  # no 400 words take more: a bound that needs no split
WALL_SHARE = 0.5  # of the text's words, in blocks about the wall
SHORT_WALL_WORDS = 60  # a text this short is a wall as soon as one block is a paywall's

# Phrases that gate a page or ask for consent, not words a story about subscriptions or
# privacy would use: matched on normalised text (casefolded, punctuation folded to spaces).
_VOCABULARY = {
    Wall.PAYWALL: re.compile(
        r"\b(?:(?:for|to) (?:paying )?(?:subscribers|members) only|subscribers? only|"
        r"(?:is|are) (?:only )?(?:for|available to|reserved for) (?:our )?(?:subscribers|"
        r"members|premium)|subscribe (?:now |today )?to (?:continue|keep|read|unlock|access|get)|"
        r"(?:to )?(?:continue|keep) reading|already a (?:subscriber|member)|already subscribed|"
        r"(?:log|sign) ?in to (?:read|continue|access|unlock)|unlock (?:this|the|full|unlimited)|"
        r"premium (?:article|content|story)|paywall|start (?:your|a) free trial|"
        r"subscribe for (?:full|unlimited)|"
        r"réservé aux abonnés|abonnez vous pour|nur für abonnenten|jetzt abonnieren|"
        r"weiterlesen mit|exclusivo para (?:suscriptores|assinantes)|suscríbete para|"
        r"assine para|riservato agli abbonati|per continuare a leggere|continuer la lecture|"
        r"seguir leyendo|continuar lendo|доступно подписчикам|订阅后|購読者限定)"
    ),
    Wall.CONSENT: re.compile(
        r"\b(?:we use cookies|this (?:site|website) uses cookies|cookie (?:policy|settings|"
        r"preferences|consent)|(?:we|we and) our (?:\d+ )?(?:partners|vendors)|"
        r"store and or access information|legitimate interests?|precise geolocation|"
        r"accept all|reject all|accept cookies|allow all|manage (?:options|preferences|"
        r"settings|choices|cookies)|your (?:privacy|consent) (?:choices|preferences|settings)|"
        r"personali[sz]ed (?:ads|advertising)|ad and content measurement|audience insights|"
        r"device (?:characteristics|identifiers|scanning)|by clicking|withdraw (?:your )?consent|"
        r"privacy policy|cookie|"
        r"alle akzeptieren|datenschutzeinstellungen|tout accepter|accepter et fermer|"
        r"aceptar todo|aceitar todos|accetta tutti)"
    ),
    Wall.JAVASCRIPT: re.compile(
        r"\b(?:enable javascript|javascript (?:is )?(?:disabled|required|must be enabled|"
        r"is not enabled)|turn on javascript|activate javascript|javascript aktivieren|"
        r"activer javascript|habilita javascript|your browser (?:does not|doesn t|is not) "
        r"support\w*|unsupported browser|update your browser|(?:are you|verify you are) "
        r"(?:a )?(?:human|robot)|checking your browser)"
    ),
}
_ANY_TERM = re.compile("|".join(f"(?:{pattern.pattern})" for pattern in _VOCABULARY.values()))
_MIN_TERMS = {Wall.PAYWALL: 1, Wall.CONSENT: 2, Wall.JAVASCRIPT: 1}


def _uses(kind: Wall, block: str) -> bool:
    """Whether a (normalised) block uses enough of a wall kind's words."""
    return len({m.group(0) for m in _VOCABULARY[kind].finditer(block)}) >= _MIN_TERMS[kind]


def _kind_of(block: str) -> Wall | None:
    """The wall kind a block is about, if any (the first whose words it uses enough)."""
    return next((kind for kind in _VOCABULARY if _uses(kind, block)), None)


def asks_consent(block: str) -> bool:
    """Whether a (normalised) block is worded as a consent box is: two different terms of
    its vocabulary ("by clicking", "privacy policy", "we use cookies" ...)."""
    return _uses(Wall.CONSENT, block)


def wall_reason(blocks: Sequence[str]) -> Wall | None:
    """The kind of wall these blocks of text are, or None for an article."""
    if sum(map(len, blocks)) > WALL_MAX_CHARS or not fewer_words_than(
        " ".join(blocks), WALL_MAX_WORDS + 1
    ):
        return None  # most pages: no need to look closer
    joined = normalise("\n".join(blocks))
    if not joined:
        return Wall.EMPTY
    if _ANY_TERM.search(joined) is None:
        return None  # no block uses any wall's words: told at once, not block by block
    normalised = [normalise(block) for block in blocks]
    words = [len(block.split()) for block in normalised]
    total = sum(words)  # not 0: `joined` has a word
    counted: dict[Wall, int] = {}
    for block, count in zip(normalised, words, strict=True):
        kind = _kind_of(block)
        if kind is not None:
            counted[kind] = counted.get(kind, 0) + count
    if not counted:
        return None
    kind = max(counted, key=lambda k: counted[k])
    if sum(counted.values()) >= WALL_SHARE * total:
        return kind
    if total <= SHORT_WALL_WORDS and Wall.PAYWALL in counted:
        return Wall.PAYWALL
    return None
