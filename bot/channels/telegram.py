"""Telegram channel: thin handlers that read an update, call the core off the event loop, and reply in HTML."""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
    User,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from ..errors import AdvisorError, DocumentError, QuestionError
from ..i18n import t
from ..models import LANGUAGES, OFFICIAL, Answer, DocumentMeta, Passage, Quote, VersionInfo

if TYPE_CHECKING:
    from ..serve import Services

log = logging.getLogger("advisor.telegram")

MESSAGE_LIMIT = 4096  # Telegram's limit; we count UTF-16 units of the HTML, which is never less than Telegram's count
UPLOAD_TYPES = (".pdf", ".docx", ".md", ".txt")
CHANNEL = "telegram"

# The advisor's own words in Telegram; the framing around quotes comes from bot/i18n.py.
UI: dict[str, dict[str, str]] = {
    "en": {
        "start": "Hello! I answer questions about working with Russian colleagues — the Belgian universities' "
                 "suspension of relations, EU sanctions, export control, funders' rules, knowledge security — "
                 "by quoting the guidance word for word, with its source.\n\n"
                 "I only quote; this is not legal advice. Ask in English, French or Dutch, or try one of these:",
        "help": "Type your question as a normal message. I reply with the passages of the guidance that answer it, "
                "each with its source and a link, or I tell you honestly that the guidance does not cover it.\n\n"
                "In a group, mention me or reply to one of my messages.\n\n"
                "/sources – the documents I quote\n/about – what this advisor is\n"
                "/subscribe – a short notice when the guidance changes\n/unsubscribe – stop those notices",
        "help_admin": "Admin: /stats, /gaps, /reingest, or send me a document (PDF, DOCX, MD, TXT) to add it.",
        "about": "Collaboration Advisor quotes published guidance on research collaboration with Russian "
                 "colleagues. It never writes an answer of its own: every quote is an exact passage of a document, "
                 "shown with its issuer, date and link. Translations into French and Dutch are unofficial.\n\n"
                 "It is not legal advice. For your own situation, ask {contact}.\n\n"
                 "Knowledge version: {version} · {documents} documents.",
        "sources": "The documents I quote ({count}):",
        "examples": "Example questions",
        "passage_button": "📄 Full passage {n}",
        "helpful": "👍 Helpful",
        "not_helpful": "👎 Not helpful",
        "thanks": "Thank you — your feedback is recorded.",
        "question_gone": "I can no longer find that question.",
        "passage_gone": "That passage is no longer in the guidance. Please ask your question again.",
        "not_text": "I can only read text. Please type your question as a message.",
        "edited": "I answer new messages only. Please send your corrected question as a new message.",
        "unknown_command": "I don't know the command {command}. /help lists what I can do.",
        "rate_limited": "You are asking faster than I can answer carefully. Please wait about {seconds} seconds "
                        "and ask again.",
        "not_allowed": "This advisor is open to a closed group of users only. Ask the person who runs it to add you.",
        "admin_only": "Sorry, only the advisor's administrators can do that.",
        "error": "Sorry, something went wrong on my side. Please try again in a moment.",
        "unavailable": "The guidance is not available right now. Please try again in a few minutes.",
        "subscribed": "Done: I will send you a short notice when documents are added to or changed in the guidance. "
                      "/unsubscribe stops it.",
        "already_subscribed": "You are already subscribed to change notices. /unsubscribe stops them.",
        "unsubscribed": "Done: no more change notices.",
        "not_subscribed": "You were not subscribed to change notices. /subscribe starts them.",
        "notice": "📢 The guidance I quote has been updated (version {version}).",
        "notice_added": "New:",
        "notice_changed": "Updated:",
        "notice_more": "and {count} more",
        "notice_ask": "Ask me about it, for example by naming the topic.",
        "working": "Working on it; this can take a minute…",
        "bad_upload_type": "I can add PDF, DOCX, Markdown or text files; {name} is none of these.",
        "upload_too_big": "{name} is {size} KiB; the limit is {limit} KiB.",
        "upload_failed": "I could not add the document: {reason}",
        "stats": "Questions: {questions} (answered {answered}, not covered {not_covered})\n"
                 "Feedback: 👍 {helpful} · 👎 {not_helpful}\nSubscribers: {subscribers}",
        "gaps": "Recent questions the guidance did not cover:",
        "no_gaps": "No unanswered questions so far.",
    },
    "fr": {
        "start": "Bonjour ! Je réponds aux questions sur la collaboration avec des collègues russes — la suspension "
                 "des relations par les universités belges, les sanctions de l'UE, le contrôle des exportations, "
                 "les règles des bailleurs de fonds, la sécurité de la connaissance — en citant mot pour mot les "
                 "textes, avec leur source.\n\n"
                 "Je ne fais que citer ; ce n'est pas un avis juridique. Posez votre question en français, en "
                 "anglais ou en néerlandais, ou essayez l'une de celles-ci :",
        "help": "Écrivez votre question comme un message normal. Je réponds par les passages des textes qui y "
                "répondent, chacun avec sa source et un lien, ou je vous dis franchement que les textes ne couvrent "
                "pas la question.\n\n"
                "Dans un groupe, mentionnez-moi ou répondez à l'un de mes messages.\n\n"
                "/sources – les documents que je cite\n/about – ce qu'est ce conseiller\n"
                "/subscribe – un court avis quand les textes changent\n/unsubscribe – arrêter ces avis",
        "help_admin": "Administration : /stats, /gaps, /reingest, ou envoyez-moi un document (PDF, DOCX, MD, TXT) "
                      "pour l'ajouter.",
        "about": "Collaboration Advisor cite des textes publiés sur la collaboration scientifique avec des collègues "
                 "russes. Il ne rédige jamais de réponse lui-même : chaque citation est un passage exact d'un "
                 "document, avec son auteur, sa date et un lien. Les traductions en français et en néerlandais ne "
                 "sont pas officielles.\n\n"
                 "Ce n'est pas un avis juridique. Pour votre situation, adressez-vous à {contact}.\n\n"
                 "Version des connaissances : {version} · {documents} documents.",
        "sources": "Les documents que je cite ({count}) :",
        "examples": "Exemples de questions",
        "passage_button": "📄 Passage complet {n}",
        "helpful": "👍 Utile",
        "not_helpful": "👎 Pas utile",
        "thanks": "Merci — votre avis est enregistré.",
        "question_gone": "Je ne retrouve plus cette question.",
        "passage_gone": "Ce passage ne figure plus dans les textes. Posez à nouveau votre question.",
        "not_text": "Je ne lis que du texte. Écrivez votre question dans un message.",
        "edited": "Je ne réponds qu'aux nouveaux messages. Envoyez votre question corrigée dans un nouveau message.",
        "unknown_command": "Je ne connais pas la commande {command}. /help indique ce que je sais faire.",
        "rate_limited": "Vous posez des questions plus vite que je ne peux y répondre avec soin. Attendez environ "
                        "{seconds} secondes, puis reposez-la.",
        "not_allowed": "Ce conseiller est réservé à un groupe restreint d'utilisateurs. Demandez à la personne qui "
                       "le gère de vous ajouter.",
        "admin_only": "Désolé, seuls les administrateurs du conseiller peuvent faire cela.",
        "error": "Désolé, un problème est survenu de mon côté. Réessayez dans un instant.",
        "unavailable": "Les textes ne sont pas disponibles pour le moment. Réessayez dans quelques minutes.",
        "subscribed": "C'est fait : je vous enverrai un court avis quand des documents seront ajoutés ou modifiés. "
                      "/unsubscribe pour arrêter.",
        "already_subscribed": "Vous êtes déjà abonné aux avis de changement. /unsubscribe pour arrêter.",
        "unsubscribed": "C'est fait : plus d'avis de changement.",
        "not_subscribed": "Vous n'étiez pas abonné aux avis de changement. /subscribe pour vous abonner.",
        "notice": "📢 Les textes que je cite ont été mis à jour (version {version}).",
        "notice_added": "Nouveau :",
        "notice_changed": "Modifié :",
        "notice_more": "et {count} autres",
        "notice_ask": "Posez-moi vos questions à ce sujet.",
        "working": "Je m'en occupe ; cela peut prendre une minute…",
        "bad_upload_type": "Je peux ajouter des fichiers PDF, DOCX, Markdown ou texte ; {name} n'en fait pas partie.",
        "upload_too_big": "{name} fait {size} Kio ; la limite est de {limit} Kio.",
        "upload_failed": "Je n'ai pas pu ajouter le document : {reason}",
        "stats": "Questions : {questions} (avec réponse {answered}, non couvertes {not_covered})\n"
                 "Avis : 👍 {helpful} · 👎 {not_helpful}\nAbonnés : {subscribers}",
        "gaps": "Questions récentes que les textes ne couvrent pas :",
        "no_gaps": "Aucune question sans réponse pour l'instant.",
    },
    "nl": {
        "start": "Hallo! Ik beantwoord vragen over samenwerken met Russische collega's — de opschorting van de "
                 "betrekkingen door de Belgische universiteiten, EU-sancties, exportcontrole, regels van "
                 "financiers, kennisveiligheid — door de richtlijnen woord voor woord te citeren, met hun bron.\n\n"
                 "Ik citeer alleen; dit is geen juridisch advies. Stel uw vraag in het Nederlands, Frans of Engels, "
                 "of probeer een van deze:",
        "help": "Typ uw vraag als gewoon bericht. Ik antwoord met de passages uit de richtlijnen die erop antwoorden, "
                "elk met bron en link, of ik zeg eerlijk dat de richtlijnen de vraag niet behandelen.\n\n"
                "In een groep: noem mij of antwoord op een van mijn berichten.\n\n"
                "/sources – de documenten die ik citeer\n/about – wat deze adviseur is\n"
                "/subscribe – een kort bericht als de richtlijnen wijzigen\n/unsubscribe – die berichten stoppen",
        "help_admin": "Beheer: /stats, /gaps, /reingest, of stuur mij een document (PDF, DOCX, MD, TXT) om het toe "
                      "te voegen.",
        "about": "Collaboration Advisor citeert gepubliceerde richtlijnen over onderzoekssamenwerking met Russische "
                 "collega's. Hij schrijft nooit zelf een antwoord: elk citaat is een letterlijke passage uit een "
                 "document, met uitgever, datum en link. Vertalingen in het Frans en Nederlands zijn niet officieel.\n\n"
                 "Dit is geen juridisch advies. Voor uw eigen situatie: neem contact op met {contact}.\n\n"
                 "Kennisversie: {version} · {documents} documenten.",
        "sources": "De documenten die ik citeer ({count}):",
        "examples": "Voorbeeldvragen",
        "passage_button": "📄 Volledige passage {n}",
        "helpful": "👍 Nuttig",
        "not_helpful": "👎 Niet nuttig",
        "thanks": "Dank u — uw feedback is opgeslagen.",
        "question_gone": "Ik vind die vraag niet meer terug.",
        "passage_gone": "Die passage staat niet meer in de richtlijnen. Stel uw vraag opnieuw.",
        "not_text": "Ik kan alleen tekst lezen. Typ uw vraag in een bericht.",
        "edited": "Ik beantwoord alleen nieuwe berichten. Stuur uw verbeterde vraag als nieuw bericht.",
        "unknown_command": "Het commando {command} ken ik niet. /help toont wat ik kan.",
        "rate_limited": "U vraagt sneller dan ik zorgvuldig kan antwoorden. Wacht ongeveer {seconds} seconden en "
                        "vraag het opnieuw.",
        "not_allowed": "Deze adviseur is alleen open voor een besloten groep gebruikers. Vraag de beheerder om u "
                       "toe te voegen.",
        "admin_only": "Sorry, alleen de beheerders van de adviseur kunnen dat doen.",
        "error": "Sorry, er ging aan mijn kant iets mis. Probeer het zo meteen opnieuw.",
        "unavailable": "De richtlijnen zijn nu niet beschikbaar. Probeer het over enkele minuten opnieuw.",
        "subscribed": "Gedaan: ik stuur u een kort bericht als er documenten worden toegevoegd of gewijzigd. "
                      "/unsubscribe stopt dat.",
        "already_subscribed": "U bent al ingeschreven op wijzigingsberichten. /unsubscribe stopt ze.",
        "unsubscribed": "Gedaan: geen wijzigingsberichten meer.",
        "not_subscribed": "U was niet ingeschreven op wijzigingsberichten. /subscribe start ze.",
        "notice": "📢 De richtlijnen die ik citeer zijn bijgewerkt (versie {version}).",
        "notice_added": "Nieuw:",
        "notice_changed": "Gewijzigd:",
        "notice_more": "en nog {count}",
        "notice_ask": "Stel er gerust vragen over.",
        "working": "Ik ben ermee bezig; dit kan een minuut duren…",
        "bad_upload_type": "Ik kan PDF-, DOCX-, Markdown- of tekstbestanden toevoegen; {name} is geen van deze.",
        "upload_too_big": "{name} is {size} KiB; de limiet is {limit} KiB.",
        "upload_failed": "Ik kon het document niet toevoegen: {reason}",
        "stats": "Vragen: {questions} (beantwoord {answered}, niet behandeld {not_covered})\n"
                 "Feedback: 👍 {helpful} · 👎 {not_helpful}\nIngeschreven: {subscribers}",
        "gaps": "Recente vragen die de richtlijnen niet behandelen:",
        "no_gaps": "Nog geen onbeantwoorde vragen.",
    },
}

EXAMPLES: dict[str, tuple[str, ...]] = {
    "en": ("Can I keep working with my Russian co-author?",
           "Can a Russian student still enrol at a Belgian university?",
           "Does export control apply when I share research results with a Russian colleague?"),
    "fr": ("Puis-je continuer à travailler avec mon collègue russe sur notre projet commun ?",
           "Les recteurs belges ont-ils rompu avec toutes les universités russes ?",
           "Un étudiant russe peut-il encore s'inscrire dans une université belge ?"),
    "nl": ("Mag ik blijven samenwerken met mijn Russische coauteur?",
           "Met welke Russische universiteiten werden de banden verbroken?",
           "Kan een Russische student zich nog inschrijven aan een Belgische universiteit?"),
}

COMMANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (("start", "Introduction and example questions"), ("help", "How to ask"),
           ("sources", "The documents I quote"), ("about", "What this advisor is"),
           ("subscribe", "A notice when the guidance changes"), ("unsubscribe", "Stop change notices")),
    "fr": (("start", "Présentation et exemples de questions"), ("help", "Comment poser une question"),
           ("sources", "Les documents cités"), ("about", "Ce qu'est ce conseiller"),
           ("subscribe", "Un avis quand les textes changent"), ("unsubscribe", "Arrêter les avis")),
    "nl": (("start", "Introductie en voorbeeldvragen"), ("help", "Hoe een vraag stellen"),
           ("sources", "De geciteerde documenten"), ("about", "Wat deze adviseur is"),
           ("subscribe", "Een bericht als de richtlijnen wijzigen"), ("unsubscribe", "Geen berichten meer")),
}


def ui(language: str, key: str, **values) -> str:
    """A UI sentence in the language, HTML-escaped (values too): safe to send with parse mode HTML."""
    table = UI.get(language, UI["en"])
    return escape(table[key]).format(**{k: escape(str(v)) for k, v in values.items()})


def user_language(user: User | None) -> str:
    code = ((user.language_code if user else None) or "")[:2].lower()
    return code if code in LANGUAGES else "en"


# Rendering: plain functions from core values to HTML chunks ---------------------------------------------

def render_answer(answer: Answer, header: str | None = None) -> list[str]:
    """The reply to a question as HTML messages, each within Telegram's limit."""
    blocks = [header] if header else []
    blocks.append(escape(answer.intro))
    for n, quote in enumerate(answer.quotes, 1):
        blocks.append(render_quote(quote, answer.language, n))
    blocks.append(f"<i>{escape(answer.footer)}</i>")
    return split_html("\n\n".join(blocks))


def render_quote(quote: Quote, language: str, number: int) -> str:
    """A quote as a blockquote with its key sentence in bold, its source line, and the translation if any."""
    text = quote.text
    start, end = quote.highlight or (0, len(text))
    quoted = f"{escape(text[:start])}<b>{escape(text[start:end])}</b>{escape(text[end:])}"
    parts = [f"<blockquote>{quoted}</blockquote>", f"[{number}] {source_html(quote, language)}"]
    if quote.translation:
        parts.append(f"🌐 <i>{escape(_label(language, t(language, 'translation')))}</i> {escape(quote.translation)}")
    return "\n".join(parts)


def source_html(source: Quote | DocumentMeta, language: str) -> str:
    """Title (linked), issuer, date and authority of a quote or document, in one line."""
    title = escape(source.title)
    if source.url.startswith(("https://", "http://")):
        title = f'<a href="{escape(source.url, quote=True)}">{title}</a>'
    details = ", ".join(escape(b) for b in (source.issuer, source.date, t(language, source.authority)) if b)
    return f"{title} — {details}" if details else title


def render_passage(passage: Passage, meta: DocumentMeta, language: str) -> list[str]:
    """A whole passage of the guidance, with its heading, source and translation."""
    heading = passage.heading if passage.heading and passage.heading != meta.title else ""
    blocks = [f"<b>{escape(meta.title)}</b>" + (f"\n<i>{escape(heading)}</i>" if heading else ""),
              f"<blockquote>{escape(passage.text)}</blockquote>\n{source_html(meta, language)}"]
    translation = passage.translations.get(language) if language != meta.language else None
    if translation:
        blocks.append(f"🌐 <i>{escape(_label(language, t(language, 'translation')))}</i> {escape(translation)}")
    return split_html("\n\n".join(blocks))


def render_sources(documents: Iterable[DocumentMeta], language: str) -> list[str]:
    """The documents the advisor quotes, official texts first, each with issuer, date and link."""
    docs = sorted(documents, key=lambda d: (d.authority != OFFICIAL, d.date, d.title))
    lines = [ui(language, "sources", count=len(docs))] + [f"• {source_html(d, language)}" for d in docs]
    return split_html("\n\n".join(lines))


def change_notice(previous: VersionInfo | None, current: VersionInfo, language: str, limit: int = 8) -> str | None:
    """A short notice naming the documents a version added or changed; None when it added or changed none."""
    before = {d.path: d.content_hash for d in previous.documents} if previous else {}
    added = [d.title for d in current.documents if d.path not in before]
    changed = [d.title for d in current.documents if d.path in before and before[d.path] != d.content_hash]
    if not added and not changed:
        return None
    lines = [ui(language, "notice", version=current.id)]
    for key, titles in (("notice_added", added), ("notice_changed", changed)):
        if titles:
            shown = ", ".join(f"<b>{escape(x)}</b>" for x in titles[:limit])
            more = f" {ui(language, 'notice_more', count=len(titles) - limit)}" if len(titles) > limit else ""
            lines.append(f"{ui(language, key)} {shown}{more}")
    lines.append(ui(language, "notice_ask"))
    return "\n".join(lines)


def _label(language: str, label: str) -> str:
    return f"{label} :" if language == "fr" else f"{label}:"


_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*>")
_PIECE = re.compile(r"<[^<>]*>|&[#\w]+;|\s+|[^<&\s]+|.", re.DOTALL)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split well-formed HTML into messages of at most `limit` UTF-16 units, each well-formed on its own.

    Prefers paragraph breaks, then spaces; tags open at a cut are closed and reopened in the next message.
    """
    if utf16_len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for block in _paragraphs(text):
        candidate = f"{current}\n\n{block}" if current else block
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        if utf16_len(block) <= limit:
            current = block
        else:
            *full, current = _split_block(block, limit)
            chunks.extend(full)
    if current:
        chunks.append(current)
    return [c.strip() for c in chunks if _has_text(c)]


def _paragraphs(text: str) -> list[str]:
    """Split at blank lines outside any tag, so that every paragraph is balanced."""
    paragraphs: list[str] = []
    depth = 0
    for part in text.split("\n\n"):
        if depth and paragraphs:
            paragraphs[-1] += "\n\n" + part
        else:
            paragraphs.append(part)
        for tag in _TAG.finditer(part):
            depth += -1 if tag.group(1) else 1
    return paragraphs


def _has_text(html: str) -> bool:
    return bool(_TAG.sub("", html).strip())


def _split_block(block: str, limit: int) -> list[str]:
    chunks: list[str] = []
    current, size = "", 0
    stack: list[tuple[str, str]] = []  # (name, opening tag) of the tags open at this point

    def closers() -> str:
        return "".join(f"</{name}>" for name, _ in reversed(stack))

    for piece in _PIECE.findall(block):
        tag = _TAG.fullmatch(piece)
        if tag and tag.group(1):  # a closing tag must always fit: room for closers is already reserved
            current += piece
            size += utf16_len(piece)
            stack.pop()
            continue
        # Keep room for the closing tags of everything open, plus this piece's own closer if it opens a tag.
        need = utf16_len(piece) + utf16_len(closers()) + (len(tag.group(2)) + 3 if tag else 0)
        if size + need > limit and _has_text(current):
            chunks.append(current + closers())
            current = "".join(opening for _, opening in stack)
            size = utf16_len(current)
            if piece.isspace():
                continue
        if size + need > limit:  # a single word longer than a message: cut it by characters
            for char in piece:
                if size + utf16_len(char) + utf16_len(closers()) > limit:
                    chunks.append(current + closers())
                    current = "".join(opening for _, opening in stack)
                    size = utf16_len(current)
                current += char
                size += utf16_len(char)
            continue
        current += piece
        size += utf16_len(piece)
        if tag:
            stack.append((tag.group(2).lower(), piece))
    if _has_text(current):
        chunks.append(current)
    return chunks


# Limits -------------------------------------------------------------------------------------------------

class UserRateLimit:
    """At most `per_minute` questions per user in any sliding minute."""

    def __init__(self, per_minute: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self._asked: dict[int, deque[float]] = defaultdict(deque)

    def wait_seconds(self, user_id: int) -> int:
        """0 and count the question if the user may ask now, else how many seconds until they may."""
        now = self.clock()
        asked = self._asked[user_id]
        while asked and now - asked[0] >= self.window:
            asked.popleft()
        if len(asked) >= self.per_minute:
            return max(1, int(self.window - (now - asked[0]) + 0.999))
        asked.append(now)
        return 0


# Handlers -----------------------------------------------------------------------------------------------

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def _services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data["services"]


async def _reply(update: Update, chunks: str | list[str], markup: InlineKeyboardMarkup | None = None) -> None:
    """Send HTML messages to the chat of the update; the buttons go on the last one."""
    chunks = [chunks] if isinstance(chunks, str) else chunks
    message, chat = update.effective_message, update.effective_chat
    for i, chunk in enumerate(chunks):
        buttons = markup if i == len(chunks) - 1 else None
        if message is not None and update.callback_query is None and i == 0:
            await message.reply_text(chunk, reply_markup=buttons)  # quotes the question in groups only
        else:
            await chat.send_message(chunk, reply_markup=buttons)


@contextlib.asynccontextmanager
async def _typing(chat: Chat):
    """Show "typing…" while the body runs; Telegram clears it after 5 s, so it is renewed."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(4.5)
            with contextlib.suppress(TelegramError):
                await chat.send_action(ChatAction.TYPING)

    with contextlib.suppress(TelegramError):
        await chat.send_action(ChatAction.TYPING)
    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def admin_only(handler: Handler) -> Handler:
    """Run the handler for admins only; refuse everyone else politely; log who did what."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, action = update.effective_user, handler.__name__
        if user is None or user.id not in _services(context).settings.admin_ids:
            log.warning("refused admin action %s to Telegram user %s", action, user.id if user else None)
            await _reply(update, ui(user_language(user), "admin_only"))
            return
        log.info("admin action %s by Telegram user %s", action, user.id)
        await handler(update, context)

    return guarded


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first: drops updates without a user; in a closed deployment, only listed users and admins pass."""
    settings = _services(context).settings
    allowed = settings.allowed_user_ids
    user = update.effective_user
    if user is None:  # channel posts and the like: nobody to answer
        raise ApplicationHandlerStop
    if not allowed or user.id in allowed or user.id in settings.admin_ids:
        return
    log.info("Telegram user %s is not on the allow-list", user.id)
    if update.callback_query:
        await update.callback_query.answer(t_plain(user_language(user), "not_allowed"), show_alert=True)
    elif update.effective_chat and update.effective_chat.type == Chat.PRIVATE:
        await _reply(update, ui(user_language(user), "not_allowed"))
    raise ApplicationHandlerStop


def t_plain(language: str, key: str, **values) -> str:
    """A UI sentence as plain text, for places without HTML (callback answers)."""
    return UI.get(language, UI["en"])[key].format(**values)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what the advisor covers and offer example questions as buttons."""
    language = user_language(update.effective_user)
    buttons = [[InlineKeyboardButton(q, callback_data=f"ex:{language}:{i}")] for i, q in enumerate(EXAMPLES[language])]
    await _reply(update, ui(language, "start"), InlineKeyboardMarkup(buttons))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to ask; admins also see their commands."""
    language = user_language(update.effective_user)
    text = ui(language, "help")
    if update.effective_user and update.effective_user.id in _services(context).settings.admin_ids:
        text += "\n\n" + ui(language, "help_admin")
    await _reply(update, text)


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the documents with issuer, date and link."""
    documents = await asyncio.to_thread(_services(context).advisor.sources)
    await _reply(update, render_sources(documents, user_language(update.effective_user)))


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What the advisor is, that it is not legal advice, and which knowledge version serves."""
    services = _services(context)
    language = user_language(update.effective_user)
    documents = await asyncio.to_thread(services.advisor.sources)
    contact = services.settings.contact_for(language) or t(language, "contact")
    await _reply(update, ui(language, "about", contact=contact, version=services.advisor.version, documents=len(documents)))


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send this chat a notice when documents are added or changed."""
    language = user_language(update.effective_user)
    added = _services(context).journal.subscribe(update.effective_chat.id, language)
    await _reply(update, ui(language, "subscribed" if added else "already_subscribed"))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop change notices for this chat."""
    language = user_language(update.effective_user)
    removed = _services(context).journal.unsubscribe(update.effective_chat.id)
    await _reply(update, ui(language, "unsubscribed" if removed else "not_subscribed"))


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat, or a message addressed to the bot in a group, is a question."""
    text = addressed_text(update.effective_message, context.bot.username, context.bot.id)
    if text is not None:
        await _answer(update, context, text)


async def example(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An example question from /start was pressed: ask it."""
    query = update.callback_query
    await query.answer()
    _, language, index = query.data.split(":")
    asked = EXAMPLES.get(language, EXAMPLES["en"])[int(index)]
    await _answer(update, context, asked, header=f"❓ <i>{escape(asked)}</i>")


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, header: str | None = None) -> None:
    services, user = _services(context), update.effective_user
    wait = context.bot_data["rate_limit"].wait_seconds(user.id)
    if wait:
        await _reply(update, ui(user_language(user), "rate_limited", seconds=wait))
        return

    def ask() -> tuple[Answer, int]:
        answer = services.advisor.ask(text)
        return answer, services.journal.record_question(CHANNEL, str(user.id), answer)

    try:
        async with _typing(update.effective_chat):
            answer, question_id = await asyncio.to_thread(ask)
    except QuestionError as exc:
        await _reply(update, escape(str(exc)))
        return
    await _reply(update, render_answer(answer, header), answer_buttons(answer, question_id))


def answer_buttons(answer: Answer, question_id: int) -> InlineKeyboardMarkup:
    """One button per quote for its full passage, then 👍 / 👎 for the whole reply."""
    language = answer.language
    rows = [[InlineKeyboardButton(t_plain(language, "passage_button", n=n), callback_data=f"p:{language}:{q.passage_id}")]
            for n, q in enumerate(answer.quotes, 1)]
    rows.append([InlineKeyboardButton(t_plain(language, "helpful"), callback_data=f"fb:{language}:{question_id}:1"),
                 InlineKeyboardButton(t_plain(language, "not_helpful"), callback_data=f"fb:{language}:{question_id}:-1")])
    return InlineKeyboardMarkup(rows)


def addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The question in a message, or None when a group message is not meant for the bot."""
    text = message.text or ""
    if message.chat.type == Chat.PRIVATE:
        return text
    mention = re.compile(rf"@{re.escape(bot_username)}\b", re.IGNORECASE)
    if mention.search(text):
        return mention.sub(" ", text).strip()
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot_id:
        return text
    return None


async def full_passage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the whole passage a quote was taken from."""
    query = update.callback_query
    await query.answer()
    _, language, passage_id = query.data.split(":", 2)
    advisor = _services(context).advisor

    def lookup() -> tuple[Passage | None, DocumentMeta | None]:
        passage = advisor.passage(passage_id)
        metas = {d.path: d for d in advisor.sources()}
        return passage, metas.get(passage.document) if passage else None

    passage, meta = await asyncio.to_thread(lookup)
    if passage is None or meta is None:
        await _reply(update, ui(language, "passage_gone"))
        return
    await _reply(update, render_passage(passage, meta, language))


async def feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store 👍 / 👎 with the question, then take the feedback buttons away."""
    query, user = update.callback_query, update.effective_user
    _, language, question_id, rating = query.data.split(":")
    stored = _services(context).journal.record_feedback(int(question_id), int(rating), CHANNEL, str(user.id))
    await query.answer(t_plain(language, "thanks" if stored else "question_gone"))
    if stored and isinstance(query.message, Message) and query.message.reply_markup:
        rows = [row for row in query.message.reply_markup.inline_keyboard
                if not any((b.callback_data or "").startswith("fb:") for b in row)]
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edits are not re-answered; say so in a private chat."""
    if update.effective_chat.type == Chat.PRIVATE:
        await _reply(update, ui(user_language(update.effective_user), "edited"))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have, in a private chat or addressed to this bot."""
    command = (update.effective_message.text or "").split()[0]
    name, _, target = command.partition("@")
    if update.effective_chat.type != Chat.PRIVATE and target.lower() != (context.bot.username or "").lower():
        return
    await _reply(update, ui(user_language(update.effective_user), "unknown_command", command=name[:64]))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, locations…: ask for text, in a private chat or in reply to the bot."""
    message = update.effective_message
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id
    if message.chat.type == Chat.PRIVATE or to_bot:
        await _reply(update, ui(user_language(update.effective_user), "not_text"))


@admin_only
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Questions, answered, not covered, feedback, subscribers."""
    figures = _services(context).journal.stats()
    await _reply(update, ui(user_language(update.effective_user), "stats", **{
        k: figures[k] for k in ("questions", "answered", "not_covered", "helpful", "not_helpful", "subscribers")}))


@admin_only
async def gaps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Recent questions the guidance did not cover."""
    language = user_language(update.effective_user)
    rows = _services(context).journal.gaps(15)
    if not rows:
        await _reply(update, ui(language, "no_gaps"))
        return
    lines = [ui(language, "gaps")] + [
        f"• {escape(r['time'][:16])} [{escape(r['language'])}] {escape(_shorten(r['question'], 300))}" for r in rows]
    await _reply(update, split_html("\n".join(lines)))


@admin_only
async def reingest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Re-ingest the knowledge folder and report the same summary as the CLI."""
    services, user = _services(context), update.effective_user
    await _reply(update, ui(user_language(user), "working"))
    try:
        async with _typing(update.effective_chat):
            report = await asyncio.to_thread(services.admin.reingest, f"telegram:{user.id}")
    except AdvisorError as exc:  # IngestBusy and friends: the message says what to do
        log.warning("reingest by Telegram user %s refused: %s", user.id, exc)
        await _reply(update, escape(str(exc)))
        return
    log.info("reingest by Telegram user %s: %s", user.id, report.summary().splitlines()[0])
    await _reply(update, split_html(f"<pre>{escape(report.summary())}</pre>"))


@admin_only
async def add_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file sent in a private chat: added to the knowledge, then re-ingested, as with the CLI."""
    services, user = _services(context), update.effective_user
    language = user_language(user)
    sent = update.effective_message.document
    name = sent.file_name or "document"
    limit = services.settings.telegram_max_upload_bytes
    if not name.lower().endswith(UPLOAD_TYPES):
        await _reply(update, ui(language, "bad_upload_type", name=name))
        return
    if (sent.file_size or 0) > limit:
        await _reply(update, ui(language, "upload_too_big", name=name, size=sent.file_size // 1024, limit=limit // 1024))
        return
    await _reply(update, ui(language, "working"))
    async with _typing(update.effective_chat):
        data = bytes(await (await sent.get_file()).download_as_bytearray())
        if len(data) > limit:
            await _reply(update, ui(language, "upload_too_big", name=name, size=len(data) // 1024, limit=limit // 1024))
            return
        try:
            report = await asyncio.to_thread(services.admin.add_document, name, data, f"telegram:{user.id}", False, services.settings.telegram_max_upload_bytes)
        except (DocumentError, AdvisorError) as exc:
            log.warning("document %r from Telegram user %s not added: %s", name, user.id, exc)
            await _reply(update, ui(language, "upload_failed", reason=str(exc)))
            return
    log.info("document %r added by Telegram user %s: %s", name, user.id, report.summary().splitlines()[0])
    await _reply(update, split_html(f"<pre>{escape(report.summary())}</pre>"))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The one error handler: log the traceback once, tell the user to try again, keep serving."""
    error = context.error
    if isinstance(error, (NetworkError, RetryAfter)):
        log.warning("Telegram network trouble while handling an update: %s", error)
    elif isinstance(error, AdvisorError):
        log.warning("cannot answer update %s: %s", getattr(update, "update_id", None), error)
    else:
        log.error("handler failed on update %s", getattr(update, "update_id", None), exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    key = "unavailable" if isinstance(error, AdvisorError) else "error"
    with contextlib.suppress(TelegramError):
        await update.effective_chat.send_message(ui(user_language(update.effective_user), key))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Building and running -----------------------------------------------------------------------------------

def file_url_for(api_url: str) -> str:
    """The file download base that goes with a Bot API base URL (…/bot -> …/file/bot)."""
    head, sep, tail = api_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else api_url.rstrip("/") + "/file/bot"


def build_application(services: Services, request: BaseRequest | None = None) -> Application:
    """The bot with its handlers; `request` replaces the HTTP transport (tests)."""
    settings = services.settings
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)
    )
    if settings.telegram_api_url:
        builder = builder.base_url(settings.telegram_api_url).base_file_url(file_url_for(settings.telegram_api_url))
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    application.bot_data["services"] = services
    application.bot_data["rate_limit"] = UserRateLimit(settings.rate_limit_per_minute)

    application.add_handler(TypeHandler(Update, gate), group=-1)
    application.add_handlers([
        MessageHandler(filters.UpdateType.EDITED, edited),
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("sources", sources),
        CommandHandler("about", about),
        CommandHandler("subscribe", subscribe),
        CommandHandler("unsubscribe", unsubscribe),
        CommandHandler("stats", stats),
        CommandHandler("gaps", gaps),
        CommandHandler("reingest", reingest),
        MessageHandler(filters.COMMAND, unknown_command),
        MessageHandler(filters.TEXT, question),
        MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, add_document),
        MessageHandler(~filters.StatusUpdate.ALL, not_text),
        CallbackQueryHandler(example, pattern=r"^ex:"),
        CallbackQueryHandler(full_passage, pattern=r"^p:"),
        CallbackQueryHandler(feedback, pattern=r"^fb:"),
    ])
    application.add_error_handler(on_error)
    return application


async def register_commands(application: Application) -> None:
    """The command menu in English (the default), French and Dutch."""
    for language, commands in COMMANDS.items():
        menu = [BotCommand(name, description) for name, description in commands]
        await application.bot.set_my_commands(menu, language_code=None if language == "en" else language)


def version_listener(application: Application, journal) -> Callable[[VersionInfo | None, VersionInfo], Awaitable[None]]:
    """Tell subscribers which documents a newly published version added or changed."""

    async def notify(previous: VersionInfo | None, current: VersionInfo) -> None:
        if change_notice(previous, current, "en") is None:
            return
        for chat_id, language in journal.subscribers():
            try:
                await application.bot.send_message(chat_id, change_notice(previous, current, language))
            except Forbidden:  # the user blocked the bot or left the group
                journal.unsubscribe(chat_id)
                log.info("chat %s no longer reachable; unsubscribed from change notices", chat_id)
            except TelegramError as exc:
                log.warning("could not send a change notice to chat %s: %s", chat_id, exc)

    return notify


async def run_telegram(services: Services, stop: asyncio.Event) -> None:
    """Run the bot (long polling, or a webhook when one is configured) until `stop` is set."""
    settings = services.settings
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines show request URLs, which hold the token
    application = build_application(services)
    if not await _initialize(application, stop):
        return
    listener = version_listener(application, services.journal)
    services.version_listeners.append(listener)
    try:
        try:
            await register_commands(application)
        except TelegramError as exc:
            log.warning("could not register the Telegram command menu: %s", exc)
        await application.start()
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret or secrets.token_urlsafe(32)
            await application.updater.start_webhook(
                listen="0.0.0.0", port=settings.telegram_webhook_port,
                url_path=urlparse(settings.telegram_webhook_url).path.strip("/"),
                webhook_url=settings.telegram_webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
            log.info("Telegram bot @%s is on: webhook %s (listening on port %s; requests must carry the secret token).",
                     application.bot.username, settings.telegram_webhook_url, settings.telegram_webhook_port)
        else:
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, error_callback=_polling_error)
            log.info("Telegram bot @%s is on: long polling %s.", application.bot.username, application.bot.base_url
                     .replace(settings.telegram_token, "<token>"))
        await stop.wait()
    finally:
        services.version_listeners.remove(listener)
        if application.updater and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        log.info("Telegram bot stopped.")


async def _initialize(application: Application, stop: asyncio.Event) -> bool:
    """Reach the Bot API (retrying while the network is down); False when the token is refused or we stop."""
    delay = 2.0
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except InvalidToken:
            log.error("Telegram is off: the Bot API refused the token in ADVISOR_TELEGRAM_TOKEN.")
            return False
        except NetworkError as exc:
            log.warning("Telegram: cannot reach the Bot API (%s); retrying in %.0f s.", exc, delay)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 60.0)
    return False


def _polling_error(error: TelegramError) -> None:
    log.warning("Telegram polling: %s (retrying)", error)
