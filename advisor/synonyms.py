"""The researchers' words: search-engine style synonym rules that widen what a question matches."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .text import stem, words


@dataclass(frozen=True)
class Rule:
    triggers: tuple[tuple[str, ...], ...]  # stemmed word sequences that fire the rule
    expansions: tuple[str, ...]  # phrases added to the search


@lru_cache(maxsize=8192)
def _key(phrase: str) -> tuple[str, ...]:
    return tuple(stem(w, "en") for w in words(phrase))


def parse(text: str) -> list[Rule]:
    """`a, b => x, y` maps a and b to x and y; `a, b, c` makes the three equivalent."""
    rules = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, right = line.split("=>", 1)
            triggers = [t.strip() for t in left.split(",") if t.strip()]
            expansions = [t.strip() for t in right.split(",") if t.strip()]
        else:
            triggers = expansions = [t.strip() for t in line.split(",") if t.strip()]
        keys = tuple(k for k in (_key(t) for t in triggers) if k)
        if keys and expansions:
            rules.append(Rule(keys, tuple(expansions)))
    return rules


class SynonymIndex:
    """Rules indexed by the first word of each trigger, so a question is matched in one pass."""

    def __init__(self, rules: list[Rule]) -> None:
        self.by_first: dict[str, list[tuple[tuple[str, ...], Rule]]] = {}
        for rule in rules:
            for trigger in rule.triggers:
                self.by_first.setdefault(trigger[0], []).append((trigger, rule))

    def expand(self, question: str) -> dict[tuple[str, ...], list[str]]:
        """For each trigger found in the question (as stemmed words), the phrases it adds."""
        tokens = _key(question)
        found: dict[tuple[str, ...], list[str]] = {}
        for i, token in enumerate(tokens):
            for trigger, rule in self.by_first.get(token, ()):
                if tokens[i:i + len(trigger)] == trigger:
                    phrases = found.setdefault(trigger, [])
                    phrases.extend(e for e in rule.expansions if _key(e) != trigger and e not in phrases)
        return found
