"""A small language guess for pages that do not declare one: the most frequent function
words of a few dozen languages. Declarations (`lang`, Content-Language, JSON-LD) come first;
this only answers when they are missing, and says nothing when unsure."""

from __future__ import annotations

import re
from collections import Counter

STOPWORDS = {
    "en": "the and of to in is that for it with as was on be by this are at from have",
    "de": "der die und das ist nicht ein eine zu den mit sich des auf für von dem im auch",
    "fr": "le la les et des est une pas que pour dans qui sur au du avec ce sont mais",
    "es": "el la los las que del en por una con para es se al lo como pero sus más",
    "it": "il di che la per non una sono del della gli con le dei nel alla anche è",
    "pt": "que não uma para com os da do em são dos das mais mas ao pela pelo também",
    "nl": "de het een en van dat niet is op te zijn voor met die ook maar bij wordt",
    "sv": "och att det som en är på för med av den inte till har om var jag men",
    "da": "og at det som en er på for med af den ikke til har om var jeg men",
    "no": "og at det som en er på for med av den ikke til har om var jeg men ble",
    "pl": "się nie że jest na do to jak ale od po za tak czy dla są przez może",
    "ru": "и в не на что с по это как из для но от все так же он она они",
    "tr": "ve bir bu da de için ile çok daha ne olarak gibi en ama kadar sonra",
    "id": "yang dan di dengan untuk dari ini itu dalam tidak akan pada juga ke",
}
_INDEX = {word: lang for lang, words in STOPWORDS.items() for word in words.split()}
_WORD = re.compile(r"\w+", re.UNICODE)
_SCRIPTS = [
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[\u0590-\u05ff]"), "he"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
    (re.compile(r"[\u0370-\u03ff]"), "el"),
    (re.compile(r"[\u0900-\u097f]"), "hi"),
]


def guess_language(text: str) -> str | None:
    sample = text[:1500]
    if not sample.isascii():  # (a constant-time check) none of these scripts otherwise
        letters = max(1, sum(map(str.isalpha, sample)))
        for pattern, lang in _SCRIPTS:
            if len(pattern.findall(sample)) / letters > 0.3:
                return lang
    counts = Counter(_INDEX[w] for w in _WORD.findall(sample.casefold()) if w in _INDEX)
    if not counts:
        return None
    (best, hits), *rest = counts.most_common(2) + [("", 0)]
    runner_up = rest[0][1]
    return best if hits >= 5 and hits >= 1.5 * runner_up else None
