"""Charsets as browsers read them (the WHATWG Encoding Standard): BOM, then UTF-8 that
decodes, then the HTTP charset and `<meta>` by the WHATWG label table, then detection for
non-Latin scripts, then windows-1252."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.extract.article import extract_article
from ingest.http.charset import choose_charset, codec_for_label, decode_html, utf8_html
from ingest.types import compress_html, decompress_html

FRENCH = (
    "« Le gouvernement a annoncé une réforme très attendue », a-t-il dit — déjà critiquée. " * 4
)
JAPANESE = (
    "日本の首相は本日、新しい経済政策を発表しました。専門家はその効果について議論しています。" * 6
)
CHINESE = "中国政府今天宣布了新的经济政策，专家们正在讨论其效果。镕" * 6  # 镕 is GBK, not GB2312
RUSSIAN = "Правительство объявило о новой экономической политике, эксперты обсуждают её. " * 4


def page(text: str, head: str = "") -> str:
    body = f"<body><article><p>{text}</p></article></body>"
    return f"<html><head>{head}<title>t</title></head>{body}</html>"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("iso-8859-1", "cp1252"),
        ("ISO_8859-1", "cp1252"),
        ("latin1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("gb2312", "gbk"),
        ("x-sjis", "cp932"),
        ("utf8", "utf-8"),
        ("euc-kr", "cp949"),
        ("utf\x00-8", None),
        ("no-such-charset", None),
        ("replacement", None),
    ],
)
def test_labels_are_read_by_the_whatwg_table(label: str, codec: str | None) -> None:
    assert codec_for_label(label) == (codecs.lookup(codec).name if codec else None)


@pytest.mark.parametrize(
    ("text", "encoding", "content_type", "head"),
    [
        # Curly quotes and dashes are 0x80-0x9F in windows-1252, C1 controls in ISO-8859-1.
        (
            "“Quoted” – said the minister… ‘again’. " * 10,
            "cp1252",
            "text/html; charset=iso-8859-1",
            "",
        ),
        (FRENCH, "cp1252", None, '<meta charset="iso-8859-1">'),
        (CHINESE, "gbk", "text/html; charset=gb2312", ""),
        (
            CHINESE,
            "gbk",
            None,
            '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
        ),
        (JAPANESE, "shift_jis", None, ""),  # undeclared: detected
        (JAPANESE, "euc_jp", None, ""),
        (RUSSIAN, "cp1251", None, ""),
        (FRENCH, "cp1252", None, ""),  # undeclared Latin text: windows-1252, not a lookalike
    ],
)
def test_pages_decode_as_a_browser_shows_them(
    text: str, encoding: str, content_type: str | None, head: str
) -> None:
    raw = page(text, head).encode(encoding)
    article = extract_article(raw, "http://x.example/a", content_type)
    assert text.split(". ")[0].strip() in article.text


def test_a_byte_order_mark_comes_first() -> None:
    raw = codecs.BOM_UTF16_LE + page(RUSSIAN).encode("utf-16-le")
    assert RUSSIAN.strip() in decode_html(raw, "text/html; charset=iso-8859-1")


def test_valid_utf8_wins_over_a_wrong_declaration() -> None:
    raw = page(FRENCH, '<meta charset="iso-8859-1">').encode("utf-8")
    assert choose_charset(raw, "iso-8859-1") == "utf-8"


def test_utf8_bytes_are_kept_as_they_are() -> None:
    content = page(FRENCH).encode("utf-8")
    assert utf8_html(content) is content
    assert utf8_html(b"<p>ascii</p>") == b"<p>ascii</p>"


def test_other_encodings_and_a_byte_order_mark_become_plain_utf8() -> None:
    content = page(FRENCH, '<meta charset="windows-1252">').encode("cp1252")
    assert utf8_html(content).decode("utf-8") == decode_html(content)
    assert utf8_html(codecs.BOM_UTF8 + b"<p>x</p>") == b"<p>x</p>"


@given(st.binary(max_size=300) | st.text(max_size=100).map(lambda t: t.encode("utf-8", "replace")))
def test_the_raw_html_kept_reads_back_as_the_decoded_page(content: bytes) -> None:
    assert decompress_html(compress_html(utf8_html(content, "text/html"))) == decode_html(
        content, "text/html"
    )
