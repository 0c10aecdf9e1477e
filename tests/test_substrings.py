from ingest.text import containing_any


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
