"""What a follow-up asks of the answer before it (why, since when, how many, whom to turn to), and the sentences of the
guidance that answer it (a reason, a date, a count, an office to ask). Used by the reading of follow-ups
(advisor/reading.py) to choose the passage and sentence quoted."""
from __future__ import annotations

import re

from .text import collapse_space

# Asking for a reason, and the connectives a text gives one with ("because", "in reaction to") or draws a consequence
# with ("therefore": the reason came before). Per language, for the language a passage is written in.
_ASKS_REASON = re.compile(r"\b(?:why|how come|pourquoi|waarom)\b", re.IGNORECASE)
_REASON = {
    "en": r"because|due to|owing to|in (?:reaction|response) to|so as not to|not wanting|in order to|given that",
    "fr": r"parce que|parce qu'|car|puisque|en raison d|en réaction|afin de|afin que|pour ne pas|étant donné",
    "nl": r"omdat|doordat|aangezien|vanwege|wegens|als reactie|om niet",
}
_CONSEQUENCE = {
    "en": r"therefore|thus|hence|as a result|consequently",
    "fr": r"donc|par conséquent|c'est pourquoi|en conséquence",
    "nl": r"daarom|bijgevolg|dus|derhalve",
}
_REASON_RE = {lang: re.compile(rf"\b(?:{pattern})", re.IGNORECASE) for lang, pattern in _REASON.items()}
_CONSEQUENCE_RE = {lang: re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE) for lang, pattern in _CONSEQUENCE.items()}


# Asking when or how many, and what answers it: a date or a count.
_ASKS_WHEN = re.compile(r"\b(?:when|since when|from when|quand|depuis quand|à partir de quand|wanneer|sinds wanneer|"
                        r"vanaf wanneer)\b", re.IGNORECASE)
_ASKS_COUNT = re.compile(r"\b(?:how many|how much|combien|hoeveel)\b", re.IGNORECASE)
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|janvier|février|mars|"
           "avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|januari|februari|maart|mei|juni|juli|"
           "augustus|oktober")
_DATE = re.compile(rf"\b(?:\d{{1,2}}(?:st|nd|rd|th|er)?\s+(?:{_MONTHS})|(?:{_MONTHS})\s+(?:19|20)\d\d|(?:19|20)\d\d)\b",
                   re.IGNORECASE)
_COUNT = re.compile(r"\b(?!(?:19|20)\d\d\b)\d+(?:[.,]\d+)?\b")


def asks_when(text: str) -> bool:
    """Whether a message asks when ("Since when?", "Depuis quand ?", "Sinds wanneer?")."""
    return bool(_ASKS_WHEN.search(text))


def asks_count(text: str) -> bool:
    """Whether a message asks how many ("How many signed it?", "Combien ?", "Hoeveel?")."""
    return bool(_ASKS_COUNT.search(text))


def gives_date(text: str) -> bool:
    return bool(_DATE.search(text))


def gives_count(text: str) -> bool:
    """Whether a text holds a number that is not a year."""
    return bool(_COUNT.search(text))


# Asking whom to turn to ("Who do I ask?", "À qui dois-je m'adresser ?", "Bij wie moet ik zijn?"), and what answers it:
# a sentence of the guidance naming the office or contact to ask. The knowledge documents are written in English.
# "who", "qui", "wie" opening a clause ("…, who can tell us…", "Et qui peut…", "en wie kijkt…"), not a relative one
# ("a postdoc who is at the institute", "un chercheur qui pourrait nous aider")
_CLAUSE = (r"(?:^|(?<=[,;:.?!])|(?<=\band )|(?<=\bso )|(?<=\bthen )|(?<=\bet )|(?<=\balors )|(?<=\bdonc )|(?<=\ben )"
           r"|(?<=\bdan )|(?<=\bmaar ))\s*")
_ASKS_WHOM = re.compile(
    r"\bwhom?\s+(?:do|should|can|could|would|must|shall)\s+(?:I|we)\s+(?:ask|contact|turn to|talk to|go to|speak to|"
    r"check with|write to)\b"
    rf"|{_CLAUSE}who\b[\w\s']{{0,30}}?\b(?:can|could|will|would)\s+(?:actually\s+)?(?:tell|confirm|advise|help)\s+(?:me|us)\b"
    r"|\bwhom?\s+to\s+(?:ask|contact|turn to)\b"
    # "à qui puis-je m'adresser ?", "à qui dois-je ?"; not "à qui puis-je envoyer les données ?"
    r"|\bà\s+qui\s+(?:(?:dois-je|devons-nous|puis-je|faut-il|peut-on)\s+)?(?:m['’]adresser|nous\s+adresser|s['’]adresser|"
    r"demander|écrire|parler)\b"
    r"|\bà\s+qui\s+(?:dois-je|devons-nous|puis-je|faut-il|peut-on)\s*(?:\?|$)"
    r"|\b(?:je\s+m['’]adresse|je\s+demande|m['’]adresser|s['’]adresser)\s+à\s+qui\b"
    rf"|{_CLAUSE}qui\s+(?:dois-je|devons-nous|faut-il|puis-je|peut-on)\s+(?:contacter|consulter|prévenir|interroger|solliciter)\b"
    rf"|{_CLAUSE}qui\b[\w\s,']{{0,30}}?\b(?:peut|pourrait)\s+(?:me|nous)\s+(?:dire|confirmer|renseigner|conseiller|aider)\b"
    r"|\bbij\s+wie\s+(?:moet|moeten|kan|kunnen|ga|gaan|zou|zouden)\b"
    rf"|{_CLAUSE}wie\b[\w\s,']{{0,30}}?\b(?:kan|kunnen|moet)\s+(?:me|mij|ons)\s+(?:zeggen|vertellen|helpen|bevestigen|adviseren)\b"
    rf"|{_CLAUSE}wie\s+(?:moet|kan|moeten|kunnen)\s+(?:ik|we|wij)\s+(?:contacteren|aanspreken|raadplegen|mailen)\b"
    rf"|{_CLAUSE}wie\s+kijkt\b[\w\s]{{0,30}}\bna\b"
    r"|\bwaar\s+(?:kan|moet)\s+ik\s+(?:terecht|aankloppen)\b",
    re.IGNORECASE)
_NAMES_WHOM = re.compile(
    r"\b(?:ask|asks|contact|go to|goes to|take (?:the|your) question to|turn to|put you in touch|check with|consult|"
    r"check)\b[^.;]{0,80}?\b(?:office|offices|contact|department|adviser|advisers|school|authority|authorities|service|"
    r"officer|desk|committee|funder|FWO|F\.R\.S\.-FNRS)\b"
    r"|\b(?:office|contact|department)\b[^.;]{0,30}?\bto ask\b|\bfirst stop\b",
    re.IGNORECASE)


def asks_whom(text: str) -> bool:
    """Whether a message asks whom to turn to ("Who do I ask?", "Qui dois-je contacter ?", "Bij wie moet ik zijn?")."""
    return bool(_ASKS_WHOM.search(text))


def without_asking_whom(text: str) -> str:
    """The message without its words asking whom to turn to: what is left names the subject, if anything."""
    return collapse_space(_ASKS_WHOM.sub(" ", text))


def names_whom(sentence: str) -> bool:
    """Whether a sentence of the guidance says whom to ask ("…go to your university's export-control contact")."""
    return bool(_NAMES_WHOM.search(sentence))


def asks_reason(text: str) -> bool:
    """Whether a message asks why ("Why?", "Pourquoi ?", "Waarom was dat?")."""
    return bool(_ASKS_REASON.search(text))


def gives_reason(sentence: str, language: str) -> bool:
    """Whether a sentence gives a reason ("…because we do not want…", "In reaction to this position…")."""
    return bool(_REASON_RE.get(language, _REASON_RE["en"]).search(sentence))


def draws_consequence(sentence: str, language: str) -> bool:
    """Whether a sentence follows from one before it ("The rectors therefore decided…")."""
    return bool(_CONSEQUENCE_RE.get(language, _CONSEQUENCE_RE["en"]).search(sentence))
