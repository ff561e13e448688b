"""The verbatim check: every passage must be found, white space normalised, in the text its document's parser
extracted; a passage that is not would put words in the source's mouth."""
from __future__ import annotations

from advisor.documents import Document
from advisor.passages import Passage
from advisor.text import collapse_space


def unfound(document: Document, passages: list[Passage]) -> list[tuple[Passage, str]]:
    """The passages not found in the document's extracted text, each with why."""
    source = collapse_space(document.text)
    if not source:
        return [(p, "its document gave no extracted text to check it against") for p in passages]
    missing = []
    for passage in passages:
        text = collapse_space(passage.text)
        if text not in source:
            missing.append((passage, f"the passage beginning {text[:60]!r} is not in the document's extracted text "
                                     f"(it departs from it after {_found_prefix(text, source)[-40:]!r})"))
    return missing


def _found_prefix(text: str, source: str) -> str:
    """The longest run of the passage's opening words that the source holds."""
    words = text.split(" ")
    low, high = 0, len(words)  # the first `low` words are found; the first `high + 1` are not (or all are)
    while low < high:
        middle = (low + high + 1) // 2
        if " ".join(words[:middle]) in source:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])
