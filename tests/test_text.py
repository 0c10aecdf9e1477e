from hypothesis import given
from hypothesis import strategies as st

from ingest.text import fewer_words_than, normalise, normalise_all

# Characters that take each path of `normalise`: ASCII, entities, the common marks folded
# to spaces, other non-ASCII text, and the break `normalise_all` puts between texts.
_PIECES = st.sampled_from(
    ["Plain words", " ", "\n", "&amp;", "&#30;", "&eacute;", "\u2019", "\u2014", "É", "ß", "\x1e"]
)
_TEXTS = st.lists(st.lists(_PIECES | st.text(max_size=8)).map("".join), max_size=6)


@given(_TEXTS)
def test_normalising_texts_together_gives_each_text_its_own_form(texts: list[str]) -> None:
    assert normalise_all(texts) == [normalise(text) for text in texts]


def test_texts_normalised_together_stay_apart() -> None:
    assert normalise_all(["Hello, World", "It\u2019s &amp; done", ""]) == [
        "hello world",
        "it s done",
        "",
    ]
    assert normalise_all(["a\x1eb", "c"]) == ["a b", "c"]  # a text holding the break itself


def test_fewer_words_than() -> None:
    assert fewer_words_than("", 1)
    assert not fewer_words_than("one", 1)
    assert fewer_words_than("  one \n two  ", 3)
    assert not fewer_words_than("one two three", 3)
    assert not fewer_words_than("one two three four", 3)
    assert not fewer_words_than("", 0)
