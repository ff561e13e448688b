"""The researchers' words: search-engine style synonym rules that widen what a question matches."""
from __future__ import annotations

from dataclasses import dataclass

from .text import stem, words


@dataclass(frozen=True)
class Rule:
    triggers: tuple[tuple[str, ...], ...]  # stemmed word sequences that fire the rule
    expansions: tuple[str, ...]  # phrases added to the search


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


def expand(question: str, rules: list[Rule]) -> dict[tuple[str, ...], list[str]]:
    """For each trigger found in the question (as stemmed words), the phrases it adds."""
    tokens = _key(question)
    found: dict[tuple[str, ...], list[str]] = {}
    for rule in rules:
        for trigger in rule.triggers:
            n = len(trigger)
            if any(tokens[i:i + n] == trigger for i in range(len(tokens) - n + 1)):
                extra = [e for e in rule.expansions if _key(e) != trigger]
                found.setdefault(trigger, []).extend(e for e in extra if e not in found.get(trigger, []))
    return found
