import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.text import fewer_words_than, repair_mojibake


def test_fewer_words_than() -> None:
    assert fewer_words_than("", 1)
    assert not fewer_words_than("one", 1)
    assert fewer_words_than("  one \n two  ", 3)
    assert not fewer_words_than("one two three", 3)
    assert not fewer_words_than("one two three four", 3)
    assert not fewer_words_than("", 0)


@pytest.mark.parametrize(
    "text",
    [
        "Investor’s guide — “quoted” – café, crème brûlée, naïve, São Paulo, 😀",
        "Ελληνικά, русский, 日本語, العربية",
    ],
)
def test_utf8_read_as_windows_1252_or_latin_1_is_put_back(text: str) -> None:
    for wrong in ("cp1252", "latin-1"):
        garbled = text.encode("utf-8").decode(
            wrong, errors="ignore" if wrong == "cp1252" else "strict"
        )
        if wrong == "cp1252" and garbled.encode("cp1252").decode("utf-8", "replace") != text:
            continue  # a byte Windows-1252 has no character for was lost: nothing to put back
        assert repair_mojibake(garbled) == text


@pytest.mark.parametrize(
    "text",
    [
        "château, âge, crème brûlée",  # â before a letter, not before a continuation byte
        "SÃO PAULO, NÃO",  # Portuguese capitals: Ã before a letter
        "Â propos",  # no continuation byte after the lead
        "plain ASCII",
        "Ã© but Ão",  # the first decodes, the second is left
    ],
)
def test_text_that_is_not_mojibake_stays(text: str) -> None:
    assert repair_mojibake(text) == text.replace("Ã©", "é")


def test_a_no_break_space_or_a_grave_a_whose_second_byte_was_collapsed_is_put_back() -> None:
    # "Â\xa0" and "Ã\xa0" after their spacing was collapsed: only in a text with mojibake.
    assert repair_mojibake("for cats.Â The costâ€™s Ã la carte, voilÃ") == (
        "for cats. The cost’s à la carte, voilà"
    )
    assert repair_mojibake("IRMÃ and SÃO") == "IRMÃ and SÃO"


@given(st.text() | st.text(alphabet="aÂÃ éà€’\xa0\n"))
def test_any_text_read_as_latin_1_is_put_back(text: str) -> None:
    assert repair_mojibake(text.encode("utf-8").decode("latin-1")) == text


@given(st.text())
def test_repair_never_raises(text: str) -> None:
    assert isinstance(repair_mojibake(text), str)
