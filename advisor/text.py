"""Language-aware text handling shared by ingestion and retrieval: sentences, terms, language."""
from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import snowballstemmer

STEMMER_NAMES = {"en": "english", "fr": "french", "nl": "dutch"}

# Function words and question words: they say how a question is asked, not what it is about.
STOPWORDS = {
    "en": set("""
        a about above after again against all also am an and any are aren't as at be because been
        before being below between both but by can can't cannot could couldn't did didn't do does
        doesn't doing don't down during each few for from further get gets got had hadn't has hasn't
        have haven't having he her here hers herself him himself his how i i'm i've if in into is
        isn't it it's its itself just let me might more most must my myself need no nor not now of
        off on once only or other ought our ours ourselves out over own please same shall she should
        shouldn't so some such than that that's the their theirs them themselves then there these
        they this those through to too under until up us very was wasn't we we're were weren't what
        what's when where which while who whom whose why will with won't would wouldn't you your
        yours yourself yourselves still allowed allow may anyone anything someone something tell
        know want like one ok okay yes
    """.split()),
    "fr": set("""
        a à ai aie aient ait as au aucun aussi autre aux avec avez avoir avons c ça ce ceci cela
        celle celles celui ces cet cette ceux chez comme comment d dans de des donc dont du elle
        elles en encore est et été êtes être eu eux fait faire il ils j je jusqu l la le les leur
        leurs lui m ma mais me même mes moi mon n ne ni nos notre nous on ont ou où par pas peu
        peut peuvent peux plus pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa
        sans se ses si son sont sous suis sur t ta te tes toi ton toujours tous tout toute toutes
        très tu un une vos votre vous y puis puis-je dois doit doivent faut ai-je est-ce encore
        droit quoi quel
    """.split()),
    "nl": set("""
        aan al alle als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus
        een eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand
        iets ik in is ja je jij jou jouw kan kon kunnen maar me meer men met mij mijn moet moeten
        na naar niet niets nog nu of om omdat ons onze ook op over reeds te tegen toch toen tot u
        uit uw van veel voor waar wanneer want waren was wat we wel welk welke werd wie wij wil
        willen word worden wordt zal ze zelf zich zij zijn zo zonder zou zouden mag mogen nog
        steeds hoe waarom
    """.split()),
}

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "art", "arts", "no", "nr", "dr", "prof", "mr", "mrs", "ms", "st", "vs",
    "cf", "ca", "approx", "dept", "fig", "p", "pp", "vol", "reg", "resp", "incl", "u.s", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-ZÀ-ÖØ-Þ0-9])")


def fold(text: str) -> str:
    """Lower-case and strip accents, for matching that ignores both."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def collapse_space(text: str) -> str:
    return " ".join(text.split())


def words(text: str) -> list[str]:
    return [m.group(0).replace("’", "'") for m in _WORD.finditer(text.lower())]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of a paragraph; the spans cover all of its text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        last_word = re.search(r"(\S+)$", text[start:match.start() + 1])
        token = last_word.group(1).rstrip(".").lower() if last_word else ""
        if token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token):
            continue
        end = match.end()
        sentence = text[start:end].rstrip()
        if sentence:
            spans.append((start, start + len(sentence)))
        start = end
    tail = text[start:].rstrip()
    if tail.strip():
        lead = len(tail) - len(tail.lstrip())
        spans.append((start + lead, start + len(tail)))
    return spans


@cache
def _stemmer(language: str):
    return snowballstemmer.stemmer(STEMMER_NAMES.get(language, "english"))


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    return fold(_stemmer(language).stemWord(word))


# A word's weight in lexical matching comes from its frequency in general use (wordfreq's small lists:
# the commonest words of each language), not from the knowledge: a passage's score then depends only on
# the question and the passage, and adding an unrelated document changes no other passage's score.
RARE_ZIPF = 2.0  # a word missing from the list is rarer than any in it (the list stops near 3)
COMMON_ZIPF = 6.0  # at or above this ("the", "de", "het") a word weighs 1


@lru_cache(maxsize=65536)
def word_weight(word: str, language: str) -> float:
    """How much finding this word says: 1 for the commonest words, up to 5 for rare ones."""
    from wordfreq import zipf_frequency

    zipf = zipf_frequency(word, language, wordlist="small") or RARE_ZIPF
    return 1.0 + max(0.0, COMMON_ZIPF - max(zipf, RARE_ZIPF))


def content_words(text: str, language: str) -> list[str]:
    """The words of a text that say what it is about: stop words and single letters removed."""
    stop = STOPWORDS.get(language, STOPWORDS["en"])
    return [w for w in words(text) if w not in stop and fold(w) not in stop and (len(w) > 1 or w.isdigit())]


def terms(text: str, language: str) -> list[str]:
    """The content words of a text, stemmed in its language."""
    return [stem(w, language) for w in content_words(text, language)]


_LANGUAGE_HINTS = {
    "fr": re.compile(r"[éèêàçùâîôû]|\b(?:l|d|qu|j|n|s|c)'", re.IGNORECASE),
    "nl": re.compile(r"ij|\b(?:het|een|niet|mijn|ook|nog|zijn|wij|jullie)\b", re.IGNORECASE),
}


def detect_language(text: str, default: str = "en") -> str:
    """Best guess among English, French and Dutch, from function words; short texts fall back to default."""
    tokens = words(text)
    if not tokens:
        return default
    scores = {lang: float(sum(1 for t in tokens if t in stop)) for lang, stop in STOPWORDS.items()}
    for lang, pattern in _LANGUAGE_HINTS.items():
        scores[lang] += 0.5 * len(pattern.findall(text))
    best = max(scores, key=lambda lang: (scores[lang], lang == default))
    return best if scores[best] > 0 else default


# Function words of languages the advisor does not answer in, to tell them from English, French and Dutch.
_OTHER_STOPWORDS = set("""
    der die das und ist nicht mit ich sie wir ihr auf für von zu den dem ein eine einer kann können darf
    dürfen noch mein meine unsere russischen forschung mit el la los las y es en que por para una con del
    il lo gli che di per non sono della con una
""".split()) - set().union(*STOPWORDS.values())
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]")
_LETTER = re.compile(r"[^\W\d_]")


def is_supported_language(text: str) -> bool:
    """False for a text written in another script or, by its function words, in another language."""
    letters = _LETTER.findall(text)
    if letters and sum(1 for c in letters if _LATIN.match(c)) < 0.5 * len(letters):
        return False
    tokens = words(text)
    ours = sum(1 for t in tokens if any(t in stop for stop in STOPWORDS.values()))
    theirs = sum(1 for t in tokens if t in _OTHER_STOPWORDS)
    return not (theirs >= 2 and theirs > ours)


_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_MARKUP = re.compile(r"<[^<>]{1,40}>|[*_]{1,2}(?=\w)|(?<=\w)[*_]{1,2}")  # tags and emphasis people paste
_CODE_CHARS = re.compile(r"[{}\[\]=;|\\`$^~]")


def without_markup(text: str) -> str:
    """The words of a message without the HTML tags and Markdown emphasis people paste with them."""
    return collapse_space(_MARKUP.sub(" ", text))


def has_question_words(text: str, language: str) -> bool:
    """Whether a message holds words a question is made of: not only stop words, links, code or emoji."""
    plain = _MARKUP.sub(" ", _URL.sub(" ", text))
    if len(_CODE_CHARS.findall(plain)) > max(3, 0.05 * len(plain)):
        return False
    return any(any(c.isalpha() for c in w) and len(w) > 1 for w in content_words(plain, language))


_QUESTION_END = re.compile(r"(?<=\?)\s+")


def question_parts(text: str, language: str, max_parts: int = 3) -> list[str]:
    """The separate questions a message asks, each with enough words to stand alone; one part if it asks one.

    Statements before a question are its context and stay with it ("I host a PhD student. Can she stay?").
    """
    pieces = [p.strip() for p in _QUESTION_END.split(text) if p.strip()]
    parts: list[str] = []
    for piece in pieces:
        if parts and len(content_words(piece, language)) < 2:
            parts[-1] = f"{parts[-1]} {piece}"  # too short to ask anything alone ("Why?")
        else:
            parts.append(piece)
    if len(parts) > max_parts:
        parts = parts[: max_parts - 1] + [" ".join(parts[max_parts - 1:])]
    return parts


def is_label(text: str) -> bool:
    """A short line without sentence punctuation: a heading, a menu entry or a caption."""
    return len(text.split()) <= 8 and not re.search(r"[.!?:;…]['\"”’)]?$", text)


_SMALL_TALK = {
    "greeting": r"hello|hi|hey|good morning|good afternoon|good evening|bonjour|bonsoir|salut|hallo|hoi|dag|goedemorgen|"
                r"goedemiddag|goedenavond",
    "thanks": r"thanks|thank you|thx|cheers|many thanks|merci|bedankt|dank je|dank u|hartelijk dank",
    "help": r"help|aide|hulp|what can you do|how does this work|que pouvez-vous faire|comment ça marche|wat kun je|"
            r"wat kan je|hoe werkt dit",
}
_FILLER = re.compile(r"\b(?:very much|so much|a lot|beaucoup|bien|infiniment|vriendelijk|wel|there|all|everyone|advisor|bot|"
                     r"and|et|en|me|please|svp|alstublieft|again|encore|nogmaals)\b")
_SMALL_TALK_RE = {kind: re.compile(rf"\b(?:{pattern})\b") for kind, pattern in _SMALL_TALK.items()}


def small_talk(text: str) -> str | None:
    """"greeting", "thanks" or "help" when a message is only that (in any of the three languages), else None."""
    plain = " ".join(re.findall(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", text.lower()))
    if not plain or len(plain.split()) > 6:
        return None
    found = [(m.start(), kind) for kind, pattern in _SMALL_TALK_RE.items() for m in pattern.finditer(plain)]
    rest = plain
    for pattern in _SMALL_TALK_RE.values():
        rest = pattern.sub(" ", rest)
    if not found or _FILLER.sub(" ", rest).strip():
        return None
    return max(found)[1]  # "Hi, thanks!" is thanks: the last thing said


def is_small_talk(text: str) -> bool:
    """A greeting, thanks, a call for help, an emoji or a bare link: nothing a reviewer could answer from the guidance."""
    plain = collapse_space(text)
    return small_talk(plain) is not None or not has_question_words(plain, detect_language(plain))


_SMALL_TALK_LANGUAGE = re.compile(r"\b(?:(?P<fr>bonjour|bonsoir|salut|merci|aide|que pouvez-vous faire|comment ça marche)|"
                                  r"(?P<nl>hallo|hoi|dag|goede\w+|bedankt|dank je|dank u|hartelijk dank|hulp|wat k\w+ je|"
                                  r"hoe werkt dit))\b")


def small_talk_language(text: str, default: str) -> str:
    """The language a greeting or thanks is said in: "Merci !" is French though it has no French function word."""
    match = _SMALL_TALK_LANGUAGE.search(text.lower())
    return match.lastgroup or default if match else default


# Words that point back at what was asked before: "Is that the same in Wallonia?", "Et pour les doctorants ?".
_OPENS_ON = re.compile(r"^(?:and|what about|how about|same|also|et|mais|aussi|maar|ook|wat met|hoe zit het met)\b",
                       re.IGNORECASE)
_POINTS_BACK = re.compile(  # Dutch "En …" too, but French "En Belgique, …" is no follow-up: only with few words
    r"^en\b|\b(?:that|this|it|they|them|those|these|there|the same|ça|cela|ceci|même|pareil|idem|là|dat|dit|deze|daar|"
    r"hetzelfde|zelfde)\b", re.IGNORECASE)  # not Dutch "het" and "die": mostly "the" and "who"


def is_follow_up(text: str) -> bool:
    """A short message that leans on the one before it for its subject.

    It opens on "and", "what about", "et", "maar"… ("What about visiting PhD students from Russia?"), or it
    points back with "that", "there"… and names little of its own: "Is that the same in Wallonia?" leans;
    "Is there a Scholars at Risk section in Flanders?" stands alone.
    """
    tokens = words(text)
    if len(tokens) > 10:
        return False
    if _OPENS_ON.search(text.strip()):
        return True
    own = [w for w in tokens if not any(w in stop for stop in STOPWORDS.values())]
    return len(own) <= 3 and bool(_POINTS_BACK.search(text))
