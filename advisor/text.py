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
    if text.isascii():  # most words: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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


@lru_cache(maxsize=32768)
def term_set(text: str, language: str) -> frozenset[str]:
    """`terms` as a set, remembered: a knowledge version's passages and sentences are nearly all those of the version
    before, so loading the next one (or the same one again, in another engine of the process) reads only what changed.
    The shipped knowledge has about 650 such texts over its three languages; a version with far more than the
    cache holds reads them all again."""
    return frozenset(terms(text, language))


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
# Sentences that ask without a question mark: "I would like to know whether…", "Je me demande si…".
_ASKS = re.compile(r"^(?:(?:also|and|so)\s*,?\s*)?(?:i (?:would|'d) (?:also )?like to know|i (?:also )?wonder|i am (?:also )?wondering|i'm (?:also )?wondering|"
                   r"i (?:also )?need to know|"
                   r"please (?:tell|advise|let me know|explain|clarify)|could you (?:tell|advise|explain)|"
                   r"je (?:voudrais|souhaiterais|aimerais) (?:aussi |également )?savoir|je me demande|pouvez-vous (?:me dire|m'indiquer|préciser)|"
                   r"ik (?:wil|zou) (?:ook )?graag (?:weten|vernemen)|ik vraag me (?:ook )?af|graag had ik geweten|kunt u (?:me )?(?:zeggen|laten weten))\b",
                   re.IGNORECASE)
# A second ask inside one sentence: ", and can we publish…", "; et peut-on…", ", en mag ik…".
_NEW_ASK = re.compile(r"(?:\s*;|(?:\s*,)?\s+(?:and|or|but|also|et|ou|mais|en|of|maar))\s+(?=(?:can|could|may|must|should|do|does|is|are|will|"
                      r"what|how|who|where|when|which|puis-je|peut-on|peut-il|peut-elle|dois-je|faut-il|est-ce|mag|kan|kunnen|moet|"
                      r"moeten|mogen|wat|hoe|wie|waar|wanneer|welke)\b)", re.IGNORECASE)
_AND = {"en": r"and|or", "fr": r"et|ou", "nl": r"en|of"}
# Words that open a clause of the same ask, not an ask of its own: "…, given that TOEFL and IELTS are closed?"
_CLAUSE_OPENERS = set("given since because although though unless whereas including especially notably namely "
                      "notamment surtout puisque parce lorsque bien sauf y compris vooral omdat hoewel zoals inclusief".split())
MAX_PARTS = 8  # searched one by one; a part past this is named as not looked into, never dropped


def question_parts(text: str, language: str) -> list[str]:
    """The separate questions a message asks, each with enough words to stand alone; one part if it asks one.

    A message splits at question marks, at sentences that ask without one ("I would like to know whether…"), at a
    second ask inside a sentence (", and can we…") and at a list of three or more asks ("Can I attend a conference
    in Russia, host a Russian PhD student and apply for funding with a Russian partner?"). Statements before a
    question are its context and stay with it ("I host a PhD student. Can she stay?").
    """
    pieces: list[str] = []
    for chunk in (p.strip() for p in _QUESTION_END.split(text) if p.strip()):
        spans = sentence_spans(chunk)
        start = 0
        for a, b in spans[1:]:  # an asking sentence after statements starts a part of its own
            if _ASKS.match(chunk[a:b]) and chunk[start:a].strip():
                pieces.append(chunk[start:a].strip())
                start = a
        pieces.append(chunk[start:].strip())
    asked: list[str] = []
    for piece in pieces:
        if asked and (len(content_words(piece, language)) < 2 or not _asks(asked[-1])):
            asked[-1] = f"{asked[-1]} {piece}"  # too short to ask anything alone ("Why?"), or it follows a statement
        else:
            asked.append(piece)
    return [ask for sentence in asked for ask in _asks_within(sentence, language)]


def _asks(text: str) -> bool:
    return text.rstrip().endswith("?") or any(_ASKS.match(text[a:b]) for a, b in sentence_spans(text))


def _asks_within(sentence: str, language: str) -> list[str]:
    """One sentence's asks: itself, or the asks it joins with a comma and a new question word, or lists."""
    asks = [p for p in _NEW_ASK.split(sentence) if p]
    if len(asks) > 1 and all(len(content_words(a, language)) >= 2 for a in asks):
        return asks
    items = re.split(r",\s+", sentence)
    last = re.split(rf"\s+(?:{_AND.get(language, _AND['en'])})\s+", items[-1], maxsplit=1)
    items[-1:] = last
    # A list of asks: "A, B and C", each with words of its own, the later ones opening on a word that carries
    # meaning ("host a student"), not on a function word ("nu de spanningen…", "given that…" has no "and").
    stop = STOPWORDS.get(language, STOPWORDS["en"]) | _CLAUSE_OPENERS
    if (len(last) == 2 and len(items) >= 3 and all(len(content_words(item, language)) >= 2 for item in items)
            and not any(words(item)[:1] and words(item)[0] in stop for item in items[1:])):
        return items
    return [sentence]


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
    r"hetzelfde|zelfde)\b"  # not Dutch "het" and "die": mostly "the" and "who"
    # French "ce réseau", "cette règle": a demonstrative before a noun, not "ce que", "ce sont"
    r"|\b(?:ce|cet|cette|ces)\s+(?!(?:que|qui|dont|sont|soit|serait|sera|fut)\b|qu'|n')\w", re.IGNORECASE)


# Articles and pronouns French writes glued to the next word: "l'université", "d'un", "qu'il", "jusqu'à".
_ELIDED = {"fr": re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)'(?=\w)")}


def without_elision(word: str, language: str) -> str:
    """A word without the elided article or pronoun glued to it: "l'université" -> "université"."""
    pattern = _ELIDED.get(language)
    return pattern.sub("", word.replace("’", "'")) if pattern else word


# Pointing words of one language that are plain words of another: French "dit" is "said", not Dutch "this".
_NOT_POINTING = {"fr": {"dit"}}


def points_back(text: str, language: str = "") -> bool:
    """Whether a message names what it asks about by pointing back ("that", "the same", "ça", "dat"…), read in
    `language` when given ("qu'a dit la rectrice ?" points nowhere)."""
    plain = _NOT_POINTING.get(language, set())
    return any(m.group(0).lower() not in {"en", *plain} for m in _POINTS_BACK.finditer(text))


# Pronouns that stand for someone or something said before ("their", "ils", "c'était", "hun"): a follow-up holding one
# must be found alone as surely as one pointing back before it is read as a subject of its own (advisor/reading.py).
_PRONOUNS = re.compile(
    r"\b(?:their|he|she|his|her|leur|leurs|ils|elles|il|elle|hun|ze|hij|zij|haar|lequel|laquelle|lesquels|lesquelles)\b"
    r"|\bc['’](?:est|était|étaient)\b",
    re.IGNORECASE)
# Impersonal "il" is no pronoun of anything said before ("y a-t-il", "faut-il", "il faut", "il existe"), nor is the one
# a question puts after its verb when it names the subject itself ("Combien le programme PAUSE verse-t-il… ?").
_IMPERSONAL = re.compile(r"-(?:t-)?(?:il|elle|ils|elles)\b|\b(?:il\s+(?:faut|existe|y\s+a|est\s+(?:possible|permis|interdit|obligatoire)))\b",
                         re.IGNORECASE)


# Dutch "die" is mostly "who"/"which" after a noun ("universiteiten die tekenden"); after a verb or a preposition, or
# as the message's last word, it points at something said before: "Wie zijn die rectorenraden?", "Waar vind ik die?"
_DUTCH_DEMONSTRATIVE = re.compile(r"\b(?:is|zijn|was|waren|zat|zaten|heeft|hebben|had|geldt|gelden|van|voor|met|over|"
                                  r"aan|bij|op|uit|door|naar|om)\s+die\s+\w|\bdie\W*$", re.IGNORECASE)


def refers_back(text: str, language: str = "") -> bool:
    """Whether a message points back or holds a pronoun standing for something said before ("Qui a signé ce texte
    côté francophone ?", "Ils demandaient quoi, au juste ?", "Wie zijn die rectorenraden?")."""
    return (points_back(text, language) or bool(_PRONOUNS.search(_IMPERSONAL.sub(" ", text)))
            or language == "nl" and bool(_DUTCH_DEMONSTRATIVE.search(text)))


def opens_on(text: str, language: str = "") -> bool:
    """Whether a message opens as a follow-up does ("And…", "Et si…", "Ook als…"; Dutch "En…", read as Dutch only:
    French "En Belgique, …" is no follow-up)."""
    plain = text.strip()
    return bool(_OPENS_ON.search(plain)) or language == "nl" and bool(re.match(r"en\b", plain, re.IGNORECASE))


def is_follow_up(text: str) -> bool:
    """A short message that leans on the one before it for its subject.

    It opens on "and", "what about", "et", "maar"… ("What about visiting PhD students from Russia?"), or it
    points back with "that", "there"… and names little of its own: "Is that the same in Wallonia?" leans;
    "Is there a Scholars at Risk section in Flanders?" stands alone.
    """
    tokens = words(text)
    opens = bool(_OPENS_ON.search(text.strip()))
    if len(tokens) > 10:  # a longer one leans only when it says so twice: "and if one of them wants to stay on…"
        return len(tokens) <= 20 and opens and bool(_POINTS_BACK.search(text))
    if opens:
        return True
    own = [w for w in tokens if not any(w in stop for stop in STOPWORDS.values())]
    return len(own) <= 3 and bool(_POINTS_BACK.search(text))


def is_small_talk(text: str) -> bool:
    """A message that asks the guidance nothing: a greeting, thanks or call for help, only emoji, or a bare link."""
    if small_talk(text):
        return True
    return not any(c.isalnum() for c in _URL.sub(" ", text))


# Function words of the commonest other languages people write in, to name them in the question log.
_OTHER_LANGUAGES = {
    "de": set("der die das und ist nicht ich sie wir mit auf für von zu den dem ein eine kann können darf dürfen mein meine noch".split()),
    "es": set("el la los las y es que por para una con del puedo puede mi".split()),
    "it": set("il lo gli che di per non sono della una posso può mio".split()),
}
_SCRIPTS = (("ru", re.compile(r"[\u0400-\u04ff]")), ("uk", re.compile(r"[єіїґ]", re.IGNORECASE)),
            ("ar", re.compile(r"[\u0600-\u06ff]")), ("zh", re.compile(r"[\u4e00-\u9fff]")))


def language_of(text: str, default: str) -> str:
    """The language a message is written in for the record: en, fr or nl (else `default`), or another's code, or "other"."""
    if is_supported_language(text):
        return default
    found = [code for code, script in _SCRIPTS if script.search(text)]
    if found:
        return found[-1]  # Ukrainian is Cyrillic with letters of its own
    tokens = words(text)
    counts = {code: sum(1 for t in tokens if t in stop) for code, stop in _OTHER_LANGUAGES.items()}
    best = max(counts, key=lambda code: counts[code])
    return best if counts[best] >= 2 else "other"
