"""Cleaning an article's blocks: duplicate sections, related-link spam and boilerplate out,
the article in. Pure functions, no I/O; they serve extracted HTML blocks and plain text.

Each decision rests on more than a phrase list, so it holds in any language:

- **duplicate**: a block whose normalised text (case, whitespace, quotes, dashes, entities
  folded) already appeared, or is contained in a longer block (a teaser before the full
  text keeps the full text; a repeated copy keeps the first). Short blocks (a few words) are
  only dropped inside a repeated run that holds a long block (a section repeated with its
  list items), so a recurring "Q:" or a product template's spec lines stay.
- **related-links**: a block that is mostly link text (a block inside a link, as a card
  of another story is, is all link text); after a label such as "You may also like", the
  title-shaped lines that follow (short, not ending as a statement does: a title may end
  with "?" or a bracket), whatever words they share with the article; at the end of the
  article, a run of two or more title-shaped lines (its label, any short unpunctuated line
  in any language, among them) whose words, taken together, are mostly not the article's
  and that reads as titles do (several words a line); an inline "READ MORE: headline" line.
  The article's own lists stay: one it introduces with ":", a numbered one, a table. A
  label left without what it labels goes too: a table of contents' with no list after it,
  a comment thread's ("3 Comments", "Leave a reply") at the end, as `comments`.
- **boilerplate**: a short line about subscribing, sharing, cookies, ads or copyright that
  is the site speaking: it starts with the call, is a few words, or says "we" or "our". A
  sentence of the article that mentions a newsletter stays. Also, whatever its length,
  fine print: a consent box's or a sign-up form's, worded as a consent box is (two terms
  of its vocabulary, `ingest.extract.walls`) and said by the site ("we", "our", "us"); an
  affiliate disclosure ("affiliate links", "qualifying purchases": the wording of the
  disclosures US law asks for, in English) said by the site or the writer. And a shop's
  buttons: a few words that start with "Check price", "Buy now", "Jetzt kaufen" ...; the
  site's taxonomy of the article, a short line that starts with "Tags:", "Filed under:" ...
- **byline**: at the head of the article, before its first long block, a short line that
  names its writer after a label ("By", "Written by", "por") or says when it was published
  or updated, with a year or an hour: metadata, which the article's fields hold.
- **author-bio**: among the article's last blocks, a short one that starts with its
  author's name (or a person's first name) and says who they are, with its "About the
  author" label and the name alone before it: the same on every article the writer signs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

from ingest.extract.walls import asks_consent
from ingest.text import containing_any, ends_sentence, inside_longer, last_mark, normalise
from ingest.types import Block, BlockKind, RemovalReason, Removed

# Labels that introduce lists of other stories, in several languages. One signal among
# several: a label only counts when it is short and unpunctuated, and the lines after it
# must look like headlines.
RELATED_LABELS = re.compile(
    r"^(?:(?:\w+ ){0,3}you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|"
    r"read (?:more|next|also)|"
    r"also read|related(?: \w+)?|more (?:from|on|about|stories|news|in)\b.*|see also|"
    r"recommended(?: for you)?|trending(?: now)?|most (?:read|popular|viewed|shared)|"
    r"popular (?:now|stories)|don'?t miss|up next|watch next|what to read next|top stories|"
    r"latest (?:news|stories)|further reading|in other news|elsewhere|around the web|"
    r"sponsored(?: content| stories)?|promoted stories|from (?:our|the) partners|"
    r"(?:à )?lire aussi|vous (?:aimerez|pourriez aimer) aussi|sur le même sujet|"
    r"a lire également|weitere artikel|mehr zum thema|das könnte sie (?:auch )?interessieren|"
    r"lesen sie auch|auch interessant|lee también|te puede interesar|noticias relacionadas|"
    r"leia também|veja também|leggi anche|potrebbe interessarti|lees ook|meer nieuws|"
    r"läs också|les også|czytaj także|читайте также|смотрите также|ещё по теме|"
    r"相关(?:文章|新闻|阅读)?|推荐阅读|関連記事|관련 ?기사)\W*$",
    # matched on normalised (casefolded) text: no re.I, which is several times slower
)
INLINE_RELATED = re.compile(
    r"^(?:read more|read also|also read|read next|related|see also|more|watch|listen|"
    r"recommended|lire aussi|à lire|lesen sie auch|lee también|leia também|leggi anche)"
    r"\s*[:|\-–—»>]+\s*\S",
    re.I,
)
BOILERPLATE_LINE = re.compile(
    r"\b(?:sign up|subscribe|newsletter|unsubscribe|share (?:this|on|via)|follow us|"
    r"cookies?|advertisement|advertising|sponsored|click here|tap here|all rights reserved|"
    r"copyright|download (?:our|the) app|get the app|log ?in to|create an account|"
    r"already a subscriber|support (?:our|independent) journalism|skip (?:to|advert)|"
    r"abonnez-vous|newsletter abonnieren|suscríbete|iscriviti|assine)\b|©",
    # matched on casefolded text: no re.I, which is several times slower
)
# Cheap substring test before the regex (most short blocks mention none of these).
_BOILERPLATE_HINTS = (
    "sign",
    "subscri",
    "newsletter",
    "share",
    "follow",
    "cookie",
    "advert",
    "sponsor",
    "click",
    "tap here",
    "rights",
    "copyright",
    "©",
    " app",
    "log",
    "account",
    "journalism",
    "skip",
    "abonn",
    "suscr",
    "iscriv",
    "assine",
)
BOILERPLATE_MAX_WORDS = 25
CALL_WORDS = 6  # a boilerplate line this short may hold its call anywhere
_ANYWHERE = frozenset({"©", "all rights reserved", "copyright"})
_THE_SITE = re.compile(r"\b(?:we|our|us)\b")
# The site's taxonomy of the article: "Tags: ...", "Filed under: ...", "Schlagwörter: ...".
TAXONOMY_LABEL = 24  # characters before the colon, at most
_TAXONOMY = re.compile(
    r"\s*(?:tags|labels|tagged(?: with| in| as)?|filed under|categor(?:y|ies)|topics|"
    r"schlagw(?:ö|oe)rter|stichw(?:ö|oe)rter|étiquettes|etiquetas|categorie|categorias)\s*:",
    re.I,
)
# What fine print mentions: a consent box or a form's, or an affiliate disclosure.
_FINE_PRINT_HINTS = ("cookie", "privacy", "affiliate link", "qualifying purchase")
_A_SPEAKER = re.compile(r"\b(?:we|our|us|i|my|me)\b")
_THIS_POST = re.compile(r"\bthis (?:post|article|page|site|website|blog|story|review|guide)\b")
# A shop's button, a few words that start with the call: "Check price at ...", "Buy now",
# "Jetzt kaufen", "Ajouter au panier" (matched on normalised text).
_SHOP_CALL = re.compile(
    r"(?:check|see|view|compare) (?:the )?(?:latest |current )?prices?\b|(?:buy|shop|order) "
    r"(?:it |them )?now\b|add to (?:cart|basket|bag)\b|(?:view|see|get) (?:the )?deals?\b|"
    r"jetzt kaufen|in den warenkorb|acheter maintenant|ajouter au panier|voir le prix|"
    r"comprar (?:ahora|agora)|añadir al carrito|adicionar ao carrinho|acquista ora|"
    r"aggiungi al carrello"
)
HEADLINE_WORDS = (1, 25)
TITLE_WORDS = 3  # words a line, on average, in a run of other pages' titles
SHORT_BLOCK_WORDS = 8
RELATED_LINK_DENSITY = 0.6


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed: tuple[Removed, ...]
    blocks: tuple[Block, ...] = ()


class _Features:
    """What the rules look at, computed once per block (and whether it is shaped like a
    headline only when a rule asks: most blocks are never asked). A plain class: a frozen
    dataclass costs a microsecond per block in `__init__` alone, a tenth of cleaning."""

    __slots__ = ("key", "length", "_block", "_headline_shaped")

    def __init__(self, block: Block) -> None:
        self.key = key = normalise(block.text)
        # Words in the key: it is single-spaced, so its spaces + 1.
        self.length = key.count(" ") + 1 if key else 0
        self._block = block
        self._headline_shaped: bool | None = None

    @property
    def headline_shaped(self) -> bool:
        """Short, and not a sentence: how other stories' titles look."""
        if self._headline_shaped is None:
            self._headline_shaped = (
                self._block.kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM, BlockKind.HEADING)
                and HEADLINE_WORDS[0] <= self.length <= HEADLINE_WORDS[1]
                and _title_like(self._block.text)
            )
        return self._headline_shaped

    @property
    def words(self) -> list[str]:
        return self.key.split()


_NOT_TITLE_END = frozenset(".;:,。…")
_NOT_TITLE = re.compile(r"https?://|www\.|\t")
_CAPITALISED = re.compile(r"\b[^\W\d_][\w'’-]{3,}")


def _title_like(text: str) -> bool:
    """Could be another page's title: it does not end as a statement does (a title may
    end with "?", "!" or a bracket: "(2025)", "[Updated]"; with a period only when it is
    written in title case), and it is no URL or tabbed row."""
    end = last_mark(text)
    if not end or _NOT_TITLE.search(text):
        return False
    if end == "." and not text.rstrip().endswith(".."):
        return _title_case(text)
    return end not in _NOT_TITLE_END


def _title_case(text: str) -> bool:
    """Most longer words capitalised, as English titles are written ("Things to Know
    Before Travelling to Japan.")."""
    long = _CAPITALISED.findall(text)
    return len(long) >= 3 and sum(w[0].isupper() for w in long) >= 0.8 * len(long)


def find_duplicates(features: Sequence[_Features]) -> dict[int, str]:
    """Indexes of blocks that repeat text kept elsewhere."""
    removed: dict[int, str] = {}
    first_seen: dict[str, int] = {}
    for i, f in enumerate(features):
        if f.key in first_seen:
            removed[i] = RemovalReason.DUPLICATE
        elif f.key:
            first_seen[f.key] = i

    def is_short(i: int) -> bool:
        return features[i].length < SHORT_BLOCK_WORDS

    # Short repeats (a recurring "Q:" or quote, a product template's spec lines) only go
    # inside a repeated run that holds a long block: a section repeated, its list items
    # with it.
    runs: list[list[int]] = []
    for i in sorted(removed):
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        if all(is_short(i) for i in run):
            for i in run:
                del removed[i]
    # Containment: a teaser inside a later full paragraph, or a fragment of an earlier one.
    # Keys are distinct by now, so a key can only be inside a longer one.
    long_keys = sorted(
        ((i, f.key) for i, f in enumerate(features) if i not in removed and not is_short(i)),
        key=lambda item: len(item[1]),
        reverse=True,
    )
    for position in inside_longer([key for _, key in long_keys]):
        removed[long_keys[position][0]] = RemovalReason.DUPLICATE
    return removed


def _foreign(words: Sequence[str], vocabulary: set[str]) -> bool:
    """Mostly words the article does not use."""
    return _mostly_foreign(*_vocabulary_counts(words, vocabulary))


def _vocabulary_counts(words: Sequence[str], vocabulary: set[str]) -> tuple[int, int]:
    """The longer words (five letters or more), and how many of them the article uses."""
    content = [w for w in words if len(w) > 4]
    return len(content), sum(w in vocabulary for w in content)


def _mostly_foreign(content: int, used: int) -> bool:
    return bool(content) and used / content < 0.5


def _is_related_line(block: Block, f: _Features) -> bool:
    if block.link_density >= RELATED_LINK_DENSITY and block.kind != BlockKind.TABLE:
        return True
    return f.length <= 30 and bool(INLINE_RELATED.match(block.text.lstrip()))


def _is_label(f: _Features) -> bool:
    return f.length <= 8 and bool(f.key) and bool(RELATED_LABELS.match(f.key))


def find_related(
    blocks: Sequence[Block], features: Sequence[_Features], skip: set[int]
) -> dict[int, str]:
    removed: dict[int, str] = {}
    order = [i for i in range(len(blocks)) if i not in skip]
    introduced = False  # in a list that a line of the article introduces, the article going on
    last_prose: int | None = None  # where the article's last paragraph of prose is in `order`
    for position, i in enumerate(order):
        if i in removed:
            continue
        if blocks[i].kind != BlockKind.LIST_ITEM:
            introduced = _introduces(blocks[i], features[i])
            if introduced:
                if last_prose is None:  # looked for once, from the end
                    last_prose = _last_prose(blocks, features, order)
                introduced = last_prose > position
        elif introduced:
            continue  # "Here are the free courses on offer:", then the courses' links
        if _is_related_line(blocks[i], features[i]):
            removed[i] = RemovalReason.RELATED
        elif _is_label(features[i]):
            following = order[position + 1 : position + 4]
            if not following or any(features[j].headline_shaped for j in following):
                removed[i] = RemovalReason.RELATED
                for k in range(position + 1, len(order)):
                    j = order[k]
                    if not (features[j].headline_shaped or blocks[j].link_density >= 0.5):
                        break
                    removed[j] = RemovalReason.RELATED
    removed.update(_trailing_run(blocks, features, [i for i in order if i not in removed]))
    removed.update(_orphan_labels(blocks, features, [i for i in order if i not in removed]))
    return removed


INTRO_WORDS = 5  # a line that introduces a list, at least: "Related stories:" is a label


def _last_prose(blocks: Sequence[Block], features: Sequence[_Features], order: list[int]) -> int:
    """The position in `order` of the last paragraph of prose (-1: none)."""
    return next(
        (p for p in range(len(order) - 1, -1, -1) if _prose(blocks[order[p]], features[order[p]])),
        -1,
    )


def _prose(block: Block, f: _Features) -> bool:
    """A paragraph of prose: not a short line, not links."""
    return (
        block.kind == BlockKind.PARAGRAPH
        and f.length >= SHORT_BLOCK_WORDS
        and block.link_density < RELATED_LINK_DENSITY
    )


# What offers other pages in a sentence ("You may also be interested in the following
# articles:"), on normalised text.
_ALSO_LIKE = re.compile(
    r"\byou (?:may|might|will|ll|d) (?:also )?(?:like|enjoy|love|be interested)|"
    r"\bif you (?:liked|enjoyed|like|enjoy) this"
)


def _introduces(block: Block, f: _Features) -> bool:
    """Whether a line introduces the list after it as the article's own: a sentence of
    the article that ends with ":" ("Here are some of the programs offered:"), not a label
    ("Related stories:"), an offer of other pages ("You may also be interested in the
    following articles:") nor a link."""
    return (
        f.length >= INTRO_WORDS
        and block.text.rstrip().endswith(":")
        and block.link_density < RELATED_LINK_DENSITY
        and not RELATED_LABELS.match(f.key)
        and _ALSO_LIKE.search(f.key) is None
    )


# The label of a table of contents, and of a comment thread (matched on normalised text).
_CONTENTS_LABEL = re.compile(
    r"(?:table of )?contents|in this (?:article|post|guide|story)|on this page|jump to|"
    r"inhalt(?:sverzeichnis)?|sommaire|table des matières|índice|indice|contenidos"
)
_COMMENTS_LABEL = re.compile(
    r"(?:\d+ )?comments?(?: \d+)?|leave a (?:comment|reply)|add a comment|"
    r"join the (?:discussion|conversation)|kommentare|commentaires|comentarios|commenti"
)


def _orphan_labels(
    blocks: Sequence[Block], features: Sequence[_Features], kept: list[int]
) -> dict[int, str]:
    """Labels left without what they label: a table of contents' ("Table of Contents",
    "In this article") when no list follows it (its links went, or never came), and a
    comment thread's ("Comments", "3 Comments", "Leave a reply") at the article's end."""
    found: dict[int, str] = {}
    for n, i in enumerate(kept):
        if features[i].length <= 4 and _CONTENTS_LABEL.fullmatch(features[i].key):
            after = kept[n + 1] if n + 1 < len(kept) else None
            if after is None or blocks[after].kind != BlockKind.LIST_ITEM:
                found[i] = RemovalReason.RELATED
    for i in reversed(kept):
        if i in found or not _COMMENTS_LABEL.fullmatch(features[i].key):
            break
        found[i] = RemovalReason.COMMENTS
    return found


_NUMBERED = re.compile(r"^\s*(?:\d{1,3}|[a-z])[.)]\s")


def _trailing_run(
    blocks: Sequence[Block], features: Sequence[_Features], kept: list[int]
) -> dict[int, str]:
    """Title-shaped lines that end the article, decided as a run: the longest run of two
    or more of them (their label, a short unpunctuated line, among them) after the last
    line of the article's own structure, whose words are, taken together, mostly not the
    article's, and which reads as titles do (several words a line, not a list of single
    terms). The article's own structure: a list it introduces (after a line ending with
    ":"), a heading followed by its list, a numbered list, a table (rows with " | ")."""
    tail: list[int] = []
    for i in reversed(kept):
        if not features[i].headline_shaped or _NUMBERED.match(blocks[i].text):
            break
        tail.append(i)
    tail.reverse()
    if len(tail) < 2 or len(tail) == len(kept):
        return {}
    if sum(" | " in blocks[i].text for i in tail) >= 2:
        return {}
    body = kept[: len(kept) - len(tail)]
    vocabulary = {w for i in body for w in features[i].words}
    first = _after_own_structure(blocks, features, [body[-1], *tail], vocabulary) - 1
    # Each run is the tail from some line on: its sums (words, and `_foreign`'s counts)
    # are added up from the last line back, one line a step, and the longest run that
    # qualifies wins (collecting each run's words anew cost the square of the tail: 8,000
    # lines took 28 s).
    words = content = used = 0
    longest: int | None = None
    for start in range(len(tail) - 1, max(0, first) - 1, -1):
        f = features[tail[start]]
        words += f.length
        line_content, line_used = _vocabulary_counts(f.words, vocabulary)
        content += line_content
        used += line_used
        run = len(tail) - start
        if run >= 2 and words >= TITLE_WORDS * run and _mostly_foreign(content, used):
            longest = start
    return {} if longest is None else dict.fromkeys(tail[longest:], RemovalReason.RELATED)


def _after_own_structure(
    blocks: Sequence[Block], features: Sequence[_Features], lines: list[int], vocabulary: set[str]
) -> int:
    """The position in `lines` after the last one of the article's own structure: a list
    item (of a list the article introduces, or under a heading), or a line in the
    article's words that a line ending with ":" introduces."""
    after = 0
    for n in range(1, len(lines)):
        line = lines[n]
        if blocks[line].kind == BlockKind.LIST_ITEM or (
            blocks[lines[n - 1]].text.rstrip().endswith(":")
            and not _foreign(features[line].words, vocabulary)
        ):
            after = n + 1
    return after


def find_boilerplate(
    blocks: Sequence[Block], features: Sequence[_Features], skip: set[int]
) -> dict[int, str]:
    short = [
        i
        for i in range(len(blocks))
        if i not in skip and features[i].length <= BOILERPLATE_MAX_WORDS
    ]
    lows = [blocks[i].text.casefold() for i in short]
    found = {
        short[n]: RemovalReason.BOILERPLATE
        for n in containing_any(lows, _BOILERPLATE_HINTS)
        if _calls_to_action(lows[n], features[short[n]].length)
    }
    rest = [i for i in range(len(blocks)) if i not in skip and i not in found]
    keys = [features[i].key for i in rest]
    for n in containing_any(keys, _FINE_PRINT_HINTS):
        if _fine_print(keys[n]):
            found[rest[n]] = RemovalReason.BOILERPLATE
    for i in rest:
        length = features[i].length
        if (length <= CALL_WORDS and _SHOP_CALL.match(features[i].key)) or (
            length <= BOILERPLATE_MAX_WORDS
            and ":" in blocks[i].text[:TAXONOMY_LABEL]
            and _TAXONOMY.match(blocks[i].text)
        ):
            found[i] = RemovalReason.BOILERPLATE
    return dict(sorted(found.items()))


def _fine_print(key: str) -> bool:
    """A consent box's or a form's fine print (worded as a consent box is, and said by the
    site), or an affiliate disclosure: "qualifying purchases", or affiliate links that a
    "Disclosure:", "this post ..." or a commission the site or the writer earns is about (a
    sentence of the article that points at its own affiliate links is not)."""
    if "qualifying purchase" in key:
        return True
    if "affiliate link" in key:
        return (
            key.startswith("disclosure")
            or _THIS_POST.search(key) is not None
            or ("commission" in key and _A_SPEAKER.search(key) is not None)
        )
    return asks_consent(key) and _THE_SITE.search(key) is not None


def _calls_to_action(low: str, length: int) -> bool:
    """A line about subscribing, sharing, cookies ... that is the site speaking: it starts
    with the call ("Sign up for ...", "Share this ...", "© 2025 ..."), is a few words
    ("Get our free newsletter"), or says "we" or "our" ("We use cookies to ..."). A
    sentence of the article that mentions a newsletter or a subscription ("I also
    subscribe to ...") is not."""
    found = BOILERPLATE_LINE.search(low)
    if found is None:
        return False
    return (
        length <= CALL_WORDS
        or found.group() in _ANYWHERE
        or not low[: found.start()].strip()
        or _THE_SITE.search(low) is not None
    )


# "By Jane Roe", "Written by Jane Roe", "Posted by Admin", "por Ana Gómez": a label, then a
# capitalised name.
_BYLINE = re.compile(
    r"(?i:(?:written|reviewed|edited|fact[- ]checked|medically reviewed|posted|published|"
    r"reported|story|words|text)\s+)?(?i:by|von|par|por|di|door)\s+(?=[^\W\d_])"
)
# "Updated 1:39 am EST, Wednesday, November 20, 2019", "Published: Feb 6, 2024", "Mis à jour
# le 3 mars 2025": a label, and a year or an hour somewhere on the line.
_DATELINE = re.compile(
    r"(?:(?:last|first|originally)\s+)?(?:updated|published|posted|modified)\b|publié|"
    r"mis à jour|veröffentlicht|aktualisiert|actualizado|publicado|atualizado|pubblicato|"
    r"aggiornato",
    re.I,
)
_WHEN = re.compile(r"\b(?:19|20)\d\d\b|\b\d{1,2}:\d\d\b")
HEAD_BLOCKS = 4  # blocks at the head of an article where its byline and dateline stand


def find_bylines(
    blocks: Sequence[Block], features: Sequence[_Features], skip: set[int]
) -> dict[int, str]:
    """The byline and the dateline at the head of the article: metadata (the article's
    author and date fields hold it), not body. A short line among its first blocks, before
    the first long one, that names its writer ("By Jane Roe ...") or says when it was
    published or updated ("Updated March 13, 2024"); a sentence that starts with "By
    understanding ..." is no byline (its next word is not a name)."""
    found: dict[int, str] = {}
    for i in islice((i for i in range(len(blocks)) if i not in skip), HEAD_BLOCKS):
        if features[i].length > BOILERPLATE_MAX_WORDS:
            break
        text = blocks[i].text.lstrip()
        byline = _BYLINE.match(text)
        if (byline and text[byline.end()].isupper()) or (
            _DATELINE.match(text) and _WHEN.search(text)
        ):
            found[i] = RemovalReason.BYLINE
    return found


# An author's bio at the end of the article: its label ("About the author"), the writer's
# name alone, and a few sentences that start with the name and say who they are.
_ABOUT_AUTHOR = re.compile(
    r"(?:about the (?:author|writer)s?|über (?:den|die) autor(?:in)?|sobre (?:el|la|o|a) "
    r"autora?|à propos de l'auteur|a proposito dell'autore)\W*",
    re.I,
)
_WHO = re.compile(
    r"(?:\s*,|\s*[’']s\b|\s+(?:is|was|has|had|joined|writes|wrote|covers|lives|studied|"
    r"holds|leads|works|worked|spent|began|started|specializes|specialises|oversees|"
    r"reports|edits)\b)"
)
BIO_BLOCKS = 4  # last blocks of an article where a bio stands
BIO_WORDS = 150


def find_author_bio(
    blocks: Sequence[Block], features: Sequence[_Features], skip: set[int], author: str | None
) -> dict[int, str]:
    """The writer's bio at the end of the article: among its last blocks, a short one that
    starts with the author's name (or first name) and says who they are ("Jane Roe is a
    reporter ...", "Jane has covered ...", "Jane Roe, Editor, ..."), and the label and the
    name alone just before it. Metadata, not the story: the same on every article the
    writer signs."""
    names = _author_names(author)
    if not names:
        return {}
    tail = [i for i in range(len(blocks)) if i not in skip][-BIO_BLOCKS:]
    found: dict[int, str] = {}
    for n, i in enumerate(tail):
        text = blocks[i].text.strip()
        label = _ABOUT_AUTHOR.match(text)
        about = text[label.end() :] if label else text
        if features[i].length > BIO_WORDS or not any(
            about.startswith(name) and _WHO.match(about, len(name)) for name in names
        ):
            continue
        found[i] = RemovalReason.AUTHOR_BIO
        for j in reversed(tail[:n]):
            line = blocks[j].text.strip()
            if j in found or not (line in names or _ABOUT_AUTHOR.fullmatch(line)):
                break
            found[j] = RemovalReason.AUTHOR_BIO
    return found


def _author_names(author: str | None) -> list[str]:
    """The writers an author field names ("A and B", "A, B, and C"; "Jane Roe, MD" is one
    with a credential), each in full and, for a person's name ("Jane Roe", not "QCY
    Official"), by the first name too."""
    if not author:
        return []
    if " and " in author:
        listed = re.split(r",\s*(?:and\s+)?|\s+and\s+", author)
    else:
        listed = [author.split(",")[0]]
    names: list[str] = []
    for name in listed:
        words = name.split()
        if not words or len(name) < 3:
            continue
        names.append(" ".join(words))
        first = words[0]
        if len(words) > 1 and len(first) >= 3 and first[0].isupper() and first[1:].islower():
            names.append(first)
    return names


def clean_blocks(blocks: Sequence[Block], author: str | None = None) -> Cleaned:
    """The blocks cleaned (see the module's docstring); `author`: the article's, whose bio
    goes."""
    features = [_Features(b) for b in blocks]
    removed = find_duplicates(features)
    removed.update(find_related(blocks, features, set(removed)))
    removed.update(find_boilerplate(blocks, features, set(removed)))
    removed.update(find_bylines(blocks, features, set(removed)))
    removed.update(find_author_bio(blocks, features, set(removed), author))
    kept = [b for i, b in enumerate(blocks) if i not in removed]
    return Cleaned(
        text=join_blocks(kept),
        removed=tuple(Removed(removed[i], blocks[i].text) for i in sorted(removed)),
        blocks=tuple(kept),
    )


_BULLET = re.compile(r"^[-*•·]\s+")


def text_blocks(text: str) -> list[Block]:
    """Plain text to blocks: a block per line, except that a hard-wrapped paragraph (a line
    that does not end a sentence, followed by one that starts in lower case) is joined."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines: list[list[str]] = []  # each block's lines, joined once at the end
    kinds: list[str] = []
    joinable = False
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            joinable = False
            continue
        bullet = _BULLET.match(line)
        if bullet:
            lines.append([line[bullet.end() :]])
            kinds.append(BlockKind.LIST_ITEM)
        elif joinable and line[0].islower():
            lines[-1].append(line)
        else:
            lines.append([line])
            kinds.append(BlockKind.PARAGRAPH)
        joinable = not ends_sentence(line)
    return [Block(" ".join(parts), kind) for parts, kind in zip(lines, kinds, strict=True)]


def clean_text(text: str) -> Cleaned:
    """Clean a body that arrives as plain text, like a scraped feed body."""
    return clean_blocks(text_blocks(text))


def join_blocks(blocks: list[Block]) -> str:
    """Blocks separated by a blank line; consecutive list items one per line."""
    parts: list[str] = []
    items: list[str] = []  # the list items in a row so far, joined once at the row's end
    for block in blocks:
        if block.kind == BlockKind.LIST_ITEM:
            items.append(f"- {block.text}")
            continue
        if items:
            parts.append("\n".join(items))
            items = []
        parts.append(block.text)
    if items:
        parts.append("\n".join(items))
    return "\n\n".join(parts)
