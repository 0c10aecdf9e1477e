from ingest.text import fewer_words_than


def test_fewer_words_than() -> None:
    assert fewer_words_than("", 1)
    assert not fewer_words_than("one", 1)
    assert fewer_words_than("  one \n two  ", 3)
    assert not fewer_words_than("one two three", 3)
    assert not fewer_words_than("one two three four", 3)
    assert not fewer_words_than("", 0)
