"""Which of many short texts contain any of a list of needles, found in C.

Testing each text against each needle costs a Python step per pair; joining the texts and
running one `str.find` per needle over the whole costs one per needle and per hit.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

_SEPARATOR = "\n"


def containing_any(texts: Sequence[str], needles: Iterable[str]) -> set[int]:
    """Indexes of the texts that contain at least one needle (needles hold no newline, so a
    match never spans two texts)."""
    joined = _SEPARATOR.join(texts)
    starts = [0]
    for text in texts[:-1]:
        starts.append(starts[-1] + len(text) + 1)
    hit: set[int] = set()
    for needle in needles:
        position = joined.find(needle)
        while position != -1:
            index = bisect_right(starts, position) - 1
            hit.add(index)
            position = joined.find(needle, starts[index] + len(texts[index]) + 1)
    return hit
