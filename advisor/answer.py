"""Ranked passages -> an Answer with verbatim quotes, or an honest "not covered"."""
from __future__ import annotations

import re
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import date

from .documents import LANGUAGES, OFFICIAL, SUMMARY, DocumentMeta, view_url
from .embeddings import Embedder
from .errors import QuestionError, StoreError
from .gaps import REVIEWED_TOPIC, GapMatch
from .passages import Passage
from .reading import (
    JOINED,
    Reading,
    asks_whom_next,
    holds,
    leans_back,
    names,
    opens_leaning_back,
    read_follow_up,
    refers_to_earlier,
)
from .retrieve import Hit, Ranking, Retriever
from .settings import Settings
from .store import Snapshot, Store, open_store
from .strings import t
from .summary import OFF, ChatModel, Summarizer
from .text import (
    MAX_PARTS,
    collapse_space,
    detect_language,
    has_question_words,
    is_supported_language,
    points_back,
    question_parts,
    sentence_spans,
    shorten,
    small_talk,
    small_talk_language,
    without_markup,
)
from .tuning import Tuning

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # as the guidance writes a date, whatever the server's locale
_LEADS_ON = re.compile(r"^(?:however|therefore|this|these|that|those|it|they|such|thus|but|also)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Quote:
    text: str  # an exact substring of the stored passage
    document: str
    title: str
    issuer: str
    date: str
    url: str
    passage_id: str
    score: float
    authority: str
    highlight: tuple[int, int] | None = None  # the key sentence, offsets within `text`
    translation: str | None = None  # unofficial translation of the quoted sentences (or of the whole passage, see scope)
    translation_language: str | None = None
    translation_note: str | None = None  # the translation's own note: unofficial, and which text governs
    translation_scope: str | None = None  # "quote", or "passage" when the sentences of the two texts do not line up

    def view_url(self, base_url: str = "") -> str:
        """Where the quote can be read in its document on the web server, its translation beside it if it has one."""
        return view_url(self.document, self.passage_id, self.translation_language if self.translation else None, base_url)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 4)
        data["highlight"] = list(self.highlight) if self.highlight else None
        return data


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    answered: bool
    quotes: tuple[Quote, ...]
    text: str  # the whole reply as plain text
    intro: str  # the framing sentence before the quotes, in the asker's language
    footer: str  # disclaimer and whom to ask, in the asker's language
    version: str | None = None
    small_talk: bool = False  # a greeting, thanks or a call for help, answered in kind
    context: str = ""  # when the question was read with an earlier one, a sentence saying so; it opens `text`
    read_as: str = ""  # then the self-contained question it was read as: the earlier one (with the follow-up when
    # that moved to a place it names), or its own subject with what it borrowed ("And what about PhD students? Russia");
    # a later follow-up leans on it
    summary: str | None = None  # a chat model's plain-language answer, checked against the quotes (advisor/summary.py)
    summary_status: str = OFF  # "off" (no model), "ok", or why there is no summary
    weak: bool = False  # quoted, but below the confidence at which the first quote is right four times in five
    known_gap: str = ""  # declined as a known gap of the guidance (knowledge/gaps.md): its topic

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "small_talk": self.small_talk,
            "context": self.context,
            "answered": self.answered,
            "quotes": [q.to_dict() for q in self.quotes],
            "text": self.text,
            "language": self.language,
            "intro": self.intro,
            "footer": self.footer,
            "version": self.version,
            "summary": self.summary,
            "summary_status": self.summary_status,
            "known_gap": self.known_gap or None,
        }


@dataclass(frozen=True)
class _Loaded:
    stamp: object
    snapshot: Snapshot
    retriever: Retriever


class Advisor:
    """The core: answers a question from the serving knowledge version, switching versions as they are published."""

    def __init__(self, settings: Settings, embedder: Embedder, store: Store | None = None,
                 snapshot: Snapshot | None = None, watch_interval: float = 1.0, tuning: Tuning | None = None,
                 chat_model: ChatModel | None = None) -> None:
        self.settings = settings
        self.summarizer = Summarizer(chat_model, settings.llm_timeout) if chat_model is not None else None
        self.embedder = embedder
        self.tuning = tuning  # None: the fitted tuning of the configured models (advisor/tuning.json)
        self.store = store or open_store(settings)
        self.watch_interval = watch_interval
        self._lock = threading.Lock()
        self._checked = 0.0
        self._loaded = _Loaded(None, snapshot, self._retriever(snapshot)) if snapshot else None
        self._pinned = snapshot is not None
        self._pieces: dict[str, dict[tuple[str, int], list[Passage]]] = {}  # version -> a paragraph's passages

    # Knowledge versions ---------------------------------------------------------
    def refresh(self, force: bool = False) -> _Loaded:
        """Load the published version if it changed; readers keep the old one until the new one is whole."""
        loaded = self._loaded
        if self._pinned and loaded:
            return loaded
        now = time.monotonic()
        if loaded and not force and now - self._checked < self.watch_interval:
            return loaded
        self._checked = now
        stamp = self.store.pointer_stamp()
        if loaded and stamp == loaded.stamp:
            return loaded
        with self._lock:
            if self._loaded and self._loaded.stamp == stamp:
                return self._loaded
            snapshot = self.store.load()
            _check_model(snapshot, self.embedder)
            self._loaded = _Loaded(stamp, snapshot, self._retriever(snapshot))
            return self._loaded

    def _retriever(self, snapshot: Snapshot) -> Retriever:
        return Retriever(snapshot, self.embedder, self.tuning, self.settings.min_relevance,
                         self.settings.exact_search_units, self.settings.candidate_units,
                         self.settings.gap_floor, self.settings.gap_margin, self.settings.gap_margin_en)

    @property
    def version(self) -> str | None:
        return self._loaded.snapshot.info.id if self._loaded else None

    def sources(self) -> list[DocumentMeta]:
        return list(self.refresh().snapshot.info.documents)

    def passage(self, passage_id: str):
        return self.refresh().snapshot.passages.get(passage_id)

    def translation_note(self, path: str, language: str) -> str | None:
        """The note of a document's translation into `language` (unofficial; which text governs), if it has one."""
        return self.refresh().snapshot.translation_notes.get((path, language)) or None

    def document(self, path: str) -> tuple[DocumentMeta, list[Passage]] | None:
        """A document of the serving version and its passages in reading order: where a quote can be read in context."""
        snapshot = self.refresh().snapshot
        meta = snapshot.documents.get(path)
        if meta is None:
            return None
        return meta, sorted((p for p in snapshot.passages.values() if p.document == path), key=lambda p: p.position)

    def candidates(self, question: str, language: str, limit: int = 5) -> tuple[str, float, list[Hit]]:
        """The serving version, the confidence that it answers, and its `limit` best passages: what a reviewer weighs."""
        loaded = self.refresh()
        ranking = loaded.retriever.search(without_markup(collapse_space(question)), language, limit)
        return loaded.snapshot.info.id, ranking.confidence, ranking.hits[:limit]

    # Answering ---------------------------------------------------------------------
    def ask(self, question: str, language: str | None = None, previous: str | None = None, summarize: bool = True,
            previous_document: str | None = None) -> Answer:
        """Answer with verbatim quotes, or say the guidance is silent; above the quotes, a checked summary if a chat model is set.

        Args:
            question: the researcher's words, any of English, French or Dutch.
            language: "en", "fr" or "nl"; detected from the question when None.
            previous: the question asked just before in the same conversation (what it was read as). A short
                follow-up is read with it: one that names a subject of its own ("And what about PhD students?")
                is answered about that subject, borrowing only what it leaves out; one that points back ("Is that
                the same in Wallonia?", "Why?") stays on the earlier question (advisor/reading.py).
            summarize: False never asks the chat model (the LangChain retriever wants the quotes alone).
            previous_document: the document the answer to `previous` was quoted from, when the caller kept it: a
                follow-up naming a place is looked for there ("Et à Gand ?").
        Raises:
            QuestionError: empty or over-long question (its message is in the asker's language).
        """
        answer = self._answer(question, language, previous, previous_document)
        return _summarized(answer, self.summarizer) if summarize and self.summarizer else answer

    def _answer(self, question: str, language: str | None, previous: str | None, previous_document: str | None) -> Answer:
        # A lone surrogate (from a broken client) cannot be encoded for the models: it becomes "?".
        text = collapse_space((question or "").encode("utf-8", "replace").decode("utf-8"))
        question_language = language
        language = language if language in LANGUAGES else detect_language(text)
        if not text:
            raise QuestionError(t(language, "empty"))
        if len(text) > self.settings.max_question_chars:
            raise QuestionError(t(language, "too_long", length=len(text), limit=self.settings.max_question_chars))
        loaded = self.refresh()
        version = loaded.snapshot.info.id
        chat = small_talk(text)
        if chat:  # "Thanks!", "Bonjour", "help": a reply in kind, not a search of the guidance
            language = language if question_language in LANGUAGES else small_talk_language(text, language)
            reply = t(language, chat)
            return Answer(text, language, False, (), reply, reply, "", version, small_talk=True)
        if not is_supported_language(text):  # said in each language it reads, since it cannot tell which one helps
            answer = self._decline(text, language, "other_language", version)
            said = "\n".join(t(lang, "other_language") for lang in dict.fromkeys((language, *LANGUAGES)))
            return replace(answer, intro=said, text=f"{said}\n\n{answer.footer}")
        words, limit = without_markup(text), max(8, self.settings.max_quotes * 3)
        earlier = without_markup(collapse_space(previous or ""))[: self.settings.max_question_chars]
        # "Why?" names nothing of its own but asks about the last turn; so does a message that opens on such a question
        # and goes on ("Where's that from? I need a source for my report.")
        follows = bool(earlier) and (leans_back(words) or opens_leaning_back(words) or asks_whom_next(words, language))
        if not follows and not has_question_words(text, language):
            return self._decline(text, language, "no_question", version)
        reading = read_follow_up(loaded.retriever, words, earlier, language, limit, previous_document) if follows else None
        unread: list[str] = []
        if reading is not None:  # one ask, searched as the follow-up decides: its own subject, or the earlier one
            parts, rankings = [reading.query], [reading.ranking]
        else:
            parts = question_parts(words, language)
            parts, unread = parts[:MAX_PARTS], parts[MAX_PARTS:]  # past the limit a part is named, not dropped
            rankings = loaded.retriever.search_many([words, *parts] if len(parts) > 1 else [words], language, limit)
        retriever = loaded.retriever
        threshold = retriever.threshold
        unsure = len(rankings) == 1 and rankings[0].confidence < threshold
        if reading is None and earlier and unsure and refers_to_earlier(words, language):
            # "Ils demandaient quoi, au juste ?", "Et s'il choisit plutôt la KU Leuven, peut-il… ?": one ask the guidance
            # is not sure of alone that speaks of what was said before or follows on from it: read with it
            reading = read_follow_up(loaded.retriever, words, earlier, language, limit, previous_document)
            parts, rankings, unread = [reading.query], [reading.ranking], []
        whole, by_part = rankings[0], rankings[1:]

        def covers(ranking: Ranking) -> bool:  # confident enough, and not nearer to a known gap than to the guidance
            return ranking.confidence >= threshold and retriever.known_gap(ranking) is None

        answered_parts = [r for r in by_part if covers(r)]
        if by_part and answered_parts:
            chosen = _unique([self._choose(r, loaded.snapshot, asked=(part, language))[0]
                              for part, r in zip(parts, by_part) if covers(r)])
            # the passage the whole message finds first goes first, whichever part chose it: the opening statement
            # may ask less than the part after it ("I'm about to e-mail… Do I need a licence?")
            first = whole.hits[0].passage.id if whole.hits else None
            chosen.sort(key=lambda h: h.passage.id != first)
            missing = [part for part, r in zip(parts, by_part) if not covers(r)] + unread
            confidence = min(r.confidence for r in answered_parts)
        elif covers(whole):
            official_first = not (reading and reading.chosen)
            asked = (reading.query if reading else words, language)
            chosen, missing, confidence = self._choose(whole, loaded.snapshot, official_first, asked), [], whole.confidence
        else:
            chosen, missing, confidence = [], [], whole.confidence
        quotes = tuple(q for q in (self._quote(h, loaded.snapshot, language) for h in chosen) if q)
        missing = missing if quotes else []
        weak = bool(quotes) and confidence < retriever.confident(language)
        if weak and not earlier and leans_back(words) and points_back(words, language):
            # "Is that the same in Wallonia?" in a new conversation, or one expired: "that" stands for nothing here, and
            # the near misses found for "the same in Wallonia" would answer a question nobody asked
            return self._decline(text, language, "no_earlier", version)
        gap = None if quotes else retriever.known_gap(whole)
        answer = replace(self._compose(text, language, quotes, version, weak=weak, missing=missing, gap=gap), weak=weak)
        if reading is None:
            return answer
        context = _reading_line(reading, earlier, language)
        return replace(answer, context=context, text=f"{context}\n\n{answer.text}", read_as=reading.topic)

    def _decline(self, question: str, language: str, reason: str, version: str) -> Answer:
        return self._compose(question, language, (), version, silence=reason)

    def _choose(self, ranking: Ranking, snapshot: Snapshot, official_first: bool = True,
                asked: tuple[str, str] | None = None) -> list[Hit]:
        """The best passage, or (with `official_first`) the official text when it answers about as well; then close
        runners-up.

        About as well: it scores within `official_margin` of the best and is found second (`official_rank`), or the
        passages found before it include a summary citing it by its date ("The CRef and VLIR stated in their
        communiqué of 10 March 2022 that…"), which the text it cites answers as well. Found further down, below
        passages that answer from other sources (the EU sanctions, the page on hosting a guest), it is not. Found
        second, not when the question (`asked`: its text and language) names something the best passage holds and
        the official text does not ("En een Russische gastprofessor…?": the page on hosting guest professors)."""
        hits, best = ranking.hits, ranking.hits[0].score
        named = names(*asked) if asked else ()
        official = [h for k, h in enumerate(hits) if official_first and h.score >= best - self.settings.official_margin
                    and snapshot.documents[h.passage.document].authority == OFFICIAL
                    and (k < self.settings.official_rank and not (k and _names_only_first(hits[0], h, named, snapshot, asked))
                         or any(_cites(a.passage, snapshot.documents[h.passage.document]) for a in hits[:k]))]
        first = official[0] if official else hits[0]
        others = [h for h in hits if h is not first and h.score >= best - self.settings.quote_margin]
        others.sort(key=lambda h: h not in official)  # the official text before the summaries, stable otherwise
        return [first, *others][: self.settings.max_quotes]

    def _quote(self, hit: Hit, snapshot: Snapshot, language: str) -> Quote | None:
        passage, limit = hit.passage, self.settings.max_quote_chars
        spans = passage.sentences or ((0, len(passage.text)),)
        key = min(hit.sentence, len(spans) - 1)
        start, end = spans[key]
        if len(passage.text) <= limit:
            start, end = 0, len(passage.text)
        else:
            if key > 0 and _LEADS_ON.match(passage.text[start:end]) and end - spans[key - 1][0] <= limit:
                start = spans[key - 1][0]
            nxt = key + 1
            while nxt < len(spans) and spans[nxt][1] - start <= limit:
                end = spans[nxt][1]
                nxt += 1
        text = passage.text[start:end]
        if not text or text not in passage.text:  # the promise of this tool: never show words the source lacks
            return None
        k0, k1 = spans[key]
        meta = snapshot.documents[passage.document]
        whole = passage.translations.get(language) if language != meta.language else None
        translation, scope = (_translated_sentences(passage.text, spans, start, end, whole, *self._place(snapshot, passage))
                              if whole else (None, None))
        return Quote(
            text=text, document=meta.path, title=meta.title, issuer=meta.issuer, date=meta.date, url=meta.url,
            passage_id=passage.id, score=hit.score, authority=meta.authority,
            highlight=(k0 - start, k1 - start) if len(spans) > 1 and start <= k0 and k1 <= end else None,
            translation=translation, translation_language=language if translation else None,
            translation_note=(snapshot.translation_notes.get((meta.path, language)) or None) if translation else None,
            translation_scope=scope,
        )

    def _place(self, snapshot: Snapshot, passage: Passage) -> tuple[int, int]:
        """How many sentences of its paragraph come before this passage, and how many the paragraph has: a long
        paragraph is cut into passages that share its one translation."""
        index = self._pieces.get(snapshot.info.id)
        if index is None:
            index = {}
            for p in sorted(snapshot.passages.values(), key=lambda p: p.position):
                index.setdefault((p.document, p.paragraph), []).append(p)
            self._pieces = {snapshot.info.id: index}
        counts = [(p.id, len(p.sentences) or 1) for p in index.get((passage.document, passage.paragraph), [passage])]
        before = next((sum(n for _, n in counts[:i]) for i, (pid, _) in enumerate(counts) if pid == passage.id), 0)
        return before, sum(n for _, n in counts)

    def _compose(self, question: str, language: str, quotes: tuple[Quote, ...], version: str,
                 weak: bool = False, missing: list[str] | None = None, silence: str = "not_covered",
                 gap: GapMatch | None = None) -> Answer:
        contact = self.settings.contact_for(language) or t(language, "contact")
        if gap is not None and not quotes:  # a known gap: its topic, and whom the gaps file says to ask
            known = gap.question.gap
            # the review's own topic is a heading, not a subject: say what it means instead of naming it
            intro = (t(language, "reviewed_gap") if known.topic == REVIEWED_TOPIC
                     else t(language, "known_gap", topic=known.topic_for(language)))
            footer = t(language, "ask_contact", contact=known.ask_for(language))
            return Answer(question, language, False, (), f"{intro} {footer}", intro, footer, version, known_gap=known.topic)
        if not quotes:
            intro = t(language, silence)
            footer = t(language, "ask_contact", contact=contact)
            return Answer(question, language, False, (), f"{intro} {footer}", intro, footer, version)
        if missing:  # what is not covered first, then what the guidance says about the rest
            said = t(language, "weak" if weak else "intro_rest")
            intro = " ".join([*(t(language, "part_missing", part=shorten(part, 200)) for part in missing), said])
        else:
            intro = t(language, "weak" if weak else "intro_one" if len(quotes) == 1 else "intro_many")
        footer = t(language, "footer", contact=contact)
        parts = [intro]
        for q in quotes:
            parts.append(f"“{q.text}”\n— {source_line(q, language)}")
            if q.translation:
                label = t(language, "translation_passage" if q.translation_scope == "passage" else "translation")
                parts.append(f"{label}: {q.translation}" + (f"\n({q.translation_note})" if q.translation_note else ""))
        parts.append(footer)
        return Answer(question, language, True, quotes, "\n\n".join(parts), intro, footer, version)


def _summarized(answer: Answer, summarizer: Summarizer) -> Answer:
    """The answer with a checked summary above its quotes, or with the reason there is none."""
    summary = summarizer.summarize(answer.question, answer.language, answer.quotes)
    if summary.text is None:
        return replace(answer, summary_status=summary.status)
    opening = f"{answer.context}\n\n" if answer.context else ""  # the earlier question it was read with stays first
    text = f"{opening}{t(answer.language, 'summary_label')}\n{summary.text}\n\n{answer.text[len(opening):]}"
    return replace(answer, text=text, summary=summary.text, summary_status=summary.status)


def _translated_sentences(original: str, spans: list[tuple[int, int]] | tuple[tuple[int, int], ...], start: int, end: int,
                          translation: str, before: int, total: int) -> tuple[str, str]:
    """The translation of the quoted sentences when the paragraph and its translation have as many sentences, else
    the whole paragraph's ("passage"). `before` and `total` place the passage's sentences in its paragraph."""
    if (start, end) == (0, len(original)) and (before, total) == (0, len(spans)):
        return translation, "quote"
    theirs = sentence_spans(translation)
    covered = [before + i for i, (a, b) in enumerate(spans) if a >= start and b <= end]
    if len(theirs) != total or not covered:
        return translation, "passage"
    return translation[theirs[covered[0]][0]:theirs[covered[-1]][1]], "quote"


def _reading_line(reading: Reading, earlier: str, language: str) -> str:
    """The opening line saying how a follow-up was read, in the asker's language."""
    if reading.kind == JOINED:
        return t(language, "context", previous=shorten(earlier, 120))
    subject = shorten(" ".join(reading.own), 80)
    if reading.borrowed:
        return t(language, "context_new", subject=subject, borrowed=shorten(", ".join(reading.borrowed), 80))
    return t(language, "context_alone", subject=subject)


def _names_only_first(first: Hit, official: Hit, named: tuple[str, ...], snapshot: Snapshot,
                      asked: tuple[str, str] | None) -> bool:
    """Whether the first passage holds a name the question writes that the official passage, its document's title
    and issuer included, does not ("gastprofessor", "CESAER"; not "CRef" against the CRef's own communiqué)."""
    if not named or asked is None:
        return False
    language = asked[1]
    document = snapshot.documents[official.passage.document]
    return any(holds(first.passage, w, language) and not holds(official.passage, w, language,
                                                                 also=f"{document.title} {document.issuer}")
               for w in named)


def _cites(passage: Passage, document: DocumentMeta) -> bool:
    """Whether a passage names a document by its date written out, as a summary cites its source ("the communiqué of
    10 March 2022")."""
    try:
        day = date.fromisoformat(document.date)
    except ValueError:
        return False
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}" in passage.text


def _unique(hits: list[Hit]) -> list[Hit]:
    seen: set[str] = set()
    unique = []
    for hit in hits:
        if hit.passage.id not in seen:
            seen.add(hit.passage.id)
            unique.append(hit)
    return unique


def source_line(quote: Quote, language: str) -> str:
    """Title, issuer, date, authority and link of a quote, in one line."""
    bits = [quote.title, quote.issuer, quote.date, t(language, quote.authority)]
    line = ", ".join(b for b in bits if b)
    if not quote.url:
        return f"{line}."
    # a summary's link leads to a page it summarises, which need not hold these words: it says so
    link = t(language, "summary_source", url=quote.url) if quote.authority == SUMMARY else quote.url
    return f"{line}. {link}"


def _check_model(snapshot: Snapshot, embedder: Embedder) -> None:
    if snapshot.info.model != embedder.model_id:
        raise StoreError(
            f"Knowledge version {snapshot.info.id} was built with the embedding model {snapshot.info.model!r}, "
            f"but the configured model is {embedder.model_id!r}: run `advisor ingest --force` to rebuild it."
        )
