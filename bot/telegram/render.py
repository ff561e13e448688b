"""Core values (answers, passages, documents, versions) as Telegram HTML messages within its size limit."""
from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape

from telegram import User

from advisor.answer import Answer, Quote
from advisor.documents import LANGUAGES, OFFICIAL, DocumentMeta, view_url
from advisor.passages import Passage
from advisor.store import VersionInfo
from advisor.strings import t

from .strings import CHAT

MESSAGE_LIMIT = 4096  # Telegram's limit; we count UTF-16 units of the HTML, which is never less than Telegram's count


def ui(language: str, key: str, **values) -> str:
    """A UI sentence in the language, HTML-escaped (values too): safe to send with parse mode HTML."""
    table = CHAT.get(language, CHAT["en"])
    return escape(table[key]).format(**{k: escape(str(v)) for k, v in values.items()})


def user_language(user: User | None) -> str:
    code = ((user.language_code if user else None) or "")[:2].lower()
    return code if code in LANGUAGES else "en"


def t_plain(language: str, key: str, **values) -> str:
    """A UI sentence as plain text, for places without HTML (callback answers)."""
    return CHAT.get(language, CHAT["en"])[key].format(**values)


# Rendering: plain functions from core values to HTML chunks ---------------------------------------------

def in_context_html(url: str | None, language: str) -> str:
    """A link to a passage in the document viewer (`view_url`), or nothing when the web server has no public address."""
    if not url:
        return ""
    href = escape(url, quote=True)
    return f'\n🔎 <a href="{href}">{ui(language, "in_context")}</a>'


def render_answer(answer: Answer, header: str | None = None, public_url: str = "") -> list[str]:
    """The reply to a question as HTML messages, each within Telegram's limit; with a public URL, each quote
    links to its place in the document viewer."""
    blocks = [header] if header else []
    if answer.context:  # the earlier question this one was read with
        blocks.append(f"<i>{escape(answer.context)}</i>")
    if answer.summary:  # a chat model's words, checked against the quotes below and labelled as not guidance
        blocks.append(f"🤖 <i>{escape(_label(answer.language, t(answer.language, 'summary_label')))}</i>\n{escape(answer.summary)}")
    blocks.append(escape(answer.intro))
    for n, quote in enumerate(answer.quotes, 1):
        link = quote.view_url(public_url) if public_url else None
        blocks.append(render_quote(quote, answer.language, n) + in_context_html(link, answer.language))
    if answer.footer:
        blocks.append(f"<i>{escape(answer.footer)}</i>")
    return split_html("\n\n".join(blocks))


def render_quote(quote: Quote, language: str, number: int) -> str:
    """A quote as a blockquote with its key sentence in bold, its source line, and the translation if any."""
    text = quote.text
    start, end = quote.highlight or (0, len(text))
    quoted = f"{escape(text[:start])}<b>{escape(text[start:end])}</b>{escape(text[end:])}"
    parts = [f"<blockquote>{quoted}</blockquote>", f"[{number}] {source_html(quote, language)}"]
    if quote.translation:  # of the quoted sentences, or of the whole paragraph when they do not line up: said so
        label = t(language, "translation_passage" if quote.translation_scope == "passage" else "translation")
        parts.append(f"🌐 <i>{escape(_label(language, label))}</i> {escape(quote.translation)}")
        if quote.translation_note:
            parts.append(f"<i>{escape(quote.translation_note)}</i>")
    return "\n".join(parts)


def source_html(source: Quote | DocumentMeta, language: str) -> str:
    """Title (linked), issuer, date and authority of a quote or document, in one line."""
    title = escape(source.title)
    if source.url.startswith(("https://", "http://")):
        title = f'<a href="{escape(source.url, quote=True)}">{title}</a>'
    details = ", ".join(escape(b) for b in (source.issuer, source.date, t(language, source.authority)) if b)
    return f"{title} — {details}" if details else title


def render_passage(passage: Passage, meta: DocumentMeta, language: str, public_url: str = "") -> list[str]:
    """A whole passage of the guidance, with its heading, source, place in the document viewer and translation."""
    heading = passage.heading if passage.heading and passage.heading != meta.title else ""
    translation = passage.translations.get(language) if language != meta.language else None
    link = view_url(meta.path, passage.id, language if translation else None, public_url) if public_url else None
    blocks = [f"<b>{escape(meta.title)}</b>" + (f"\n<i>{escape(heading)}</i>" if heading else ""),
              f"<blockquote>{escape(passage.text)}</blockquote>\n{source_html(meta, language)}"
              + in_context_html(link, language)]
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
