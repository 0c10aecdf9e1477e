"""The unit that extraction produces and cleaning works on: a block of the article's text."""

from __future__ import annotations

from dataclasses import dataclass

# Kinds of block. Headings and list items stand on their own lines in the article's text.
PARAGRAPH, HEADING, LIST_ITEM, QUOTE, PREFORMATTED, TABLE = "p", "h", "li", "quote", "pre", "table"


@dataclass(frozen=True, init=False)
class Block:
    text: str
    kind: str = PARAGRAPH
    html: str = ""
    """The block's own markup (unsanitised), when it came from HTML."""
    link_density: float = 0.0
    """Share of the block's characters that are link text."""

    def __init__(
        self, text: str, kind: str = PARAGRAPH, html: str = "", link_density: float = 0.0
    ) -> None:
        # Extraction makes one per paragraph: the generated frozen __init__ (a call to
        # object.__setattr__ per field) takes 1.4 us, writing the fields directly 0.5 us.
        fields = self.__dict__
        fields["text"], fields["kind"], fields["html"] = text, kind, html
        fields["link_density"] = link_density


@dataclass(frozen=True)
class Removed:
    """A block that cleaning dropped, and why (`duplicate`, `related-links`, ...)."""

    reason: str
    text: str


def join_blocks(blocks: list[Block]) -> str:
    """Blocks separated by a blank line; consecutive list items one per line."""
    parts: list[str] = []
    for i, block in enumerate(blocks):
        text = f"- {block.text}" if block.kind == LIST_ITEM else block.text
        if i and block.kind == LIST_ITEM and blocks[i - 1].kind == LIST_ITEM:
            parts[-1] += "\n" + text
        else:
            parts.append(text)
    return "\n\n".join(parts)
