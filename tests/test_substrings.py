from hypothesis import given
from hypothesis import strategies as st

from ingest.text import containing_any, inside_longer


def test_each_text_holding_a_needle_is_found_once() -> None:
    texts = ["share-bar top", "article body", "related share", "", "footer-related"]
    assert containing_any(texts, ["share", "related"]) == {0, 2, 4}


def test_a_match_never_spans_two_texts() -> None:
    assert containing_any(["sha", "re"], ["share"]) == set()


def test_matches_at_the_edges_of_the_first_and_last_text() -> None:
    assert containing_any(["ad top", "x", "bottom ad"], ["ad"]) == {0, 2}


def test_no_texts_or_no_needles() -> None:
    assert containing_any([], ["ad"]) == set()
    assert containing_any(["ad"], []) == set()


def _inside_longer_naively(texts: list[str]) -> set[int]:
    return {i for i, text in enumerate(texts) if any(text in longer for longer in texts[:i])}


def _scanned_without_an_index(texts: list[str]) -> int:
    """What `inside_longer` scans when it never needs its index: each text's prefix."""
    total = start = 0
    for text in texts:
        total += start
        start += len(text) + 1
    return total


def test_a_text_inside_a_longer_one_is_found_even_cut_mid_word() -> None:
    texts = [
        "the quick brown fox jumps over the lazy dog",
        "the lazy cat sleeps all day long in the sun",
        "uick brown fox jumps over the la",
        "brown fox jumps",
        "cat sleeps all day lo",
        "fox jumps over a dog",
    ]
    assert inside_longer(texts) == {2, 3, 4}
    # The same, with the scans cut short half way: the rest go through the word triples.
    assert inside_longer(texts, scan=(_scanned_without_an_index(texts) + 1) // 2) == {2, 3, 4}


# Texts of a small vocabulary, and pieces of them cut anywhere (mid-word too), so that
# many are inside others.
_VOCABULARY = st.sampled_from(["a", "an", "ant", "the", "then", "he", "x", "y"])
_TEXTS = st.lists(
    st.lists(_VOCABULARY, min_size=1, max_size=12).map(" ".join), min_size=1, max_size=25
)


@given(texts=_TEXTS, cuts=st.lists(st.tuples(st.integers(0, 80), st.integers(0, 80))))
def test_texts_inside_longer_ones_are_found_exactly_with_or_without_the_index(
    texts: list[str], cuts: list[tuple[int, int]]
) -> None:
    pieces = [texts[i % len(texts)][a : a + b] for i, (a, b) in enumerate(cuts)]
    distinct = sorted({t for t in texts + pieces if t.strip()}, key=len, reverse=True)
    expected = _inside_longer_naively(distinct)
    assert inside_longer(distinct) == expected
    # Scans cut short half way: the word triples take over and miss nothing.
    half = (_scanned_without_an_index(distinct) + 1) // 2
    assert inside_longer(distinct, scan=half) == expected
    # With no scans allowed at all, nothing is claimed that is not so.
    assert inside_longer(distinct, scan=0) <= expected
