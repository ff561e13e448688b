"""Documents sent by admins in a private chat: added through the same staged ingestion as the web and the CLI.

A file named like a document already in the knowledge is not replaced silently: the bot asks, with a
button bound to the admin and chat it was sent to, and keeps the file in memory for a few minutes only.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from advisor.errors import AdvisorError, DocumentError, DocumentExists
from ingest.formats import accepted

from .access import admin_only
from .context import reply, services_of, typing_shown
from .render import split_html, t_plain, ui, user_language

log = logging.getLogger("advisor.telegram")

PENDING_SECONDS = 600  # how long a "Replace?" button stays good
_PENDING = "pending_replace"  # key in the admin's user_data


@dataclass(frozen=True)
class PendingReplace:
    token: str
    name: str
    data: bytes
    meta: dict[str, str]
    chat_id: int
    expires: float


@admin_only
async def add_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file sent in a private chat: added to the knowledge, then re-ingested, as with the CLI."""
    services, user = services_of(context), update.effective_user
    language = user_language(user)
    sent = update.effective_message.document
    name = sent.file_name or "document"
    limit = services.settings.telegram_max_upload_bytes
    if not accepted(name):
        await reply(update, ui(language, "bad_upload_type", name=name))
        return
    if (sent.file_size or 0) > limit:
        await reply(update, ui(language, "upload_too_big", name=name, size=(sent.file_size or 0) // 1024, limit=limit // 1024))
        return
    await reply(update, ui(language, "working"))
    async with typing_shown(update.effective_chat):
        data = bytes(await (await sent.get_file()).download_as_bytearray())
        if len(data) > limit:
            await reply(update, ui(language, "upload_too_big", name=name, size=len(data) // 1024, limit=limit // 1024))
            return
        replace, meta = caption_form(update.effective_message.caption)
        await _publish(update, context, name, data, replace, meta)


def caption_form(caption: str | None) -> tuple[bool, dict[str, str]]:
    """The caption of a sent document as a small form: a line `replace`, and `key: value` lines for its details
    (title, issuer, date, url, authority, language); the service checks the details and names a bad one."""
    replace, meta = False, {}
    for line in (caption or "").splitlines():
        key, colon, value = line.partition(":")
        if not colon and key.strip().lower() == "replace":
            replace = True
        elif colon and key.strip():
            meta[key.strip().lower()] = value.strip()
        elif line.strip():
            meta[line.strip()[:40]] = line.strip()  # named as an unknown detail, not silently dropped
    return replace, meta


async def _publish(update: Update, context: ContextTypes.DEFAULT_TYPE, name: str, data: bytes, replace: bool,
                   meta: dict[str, str]) -> None:
    services, user = services_of(context), update.effective_user
    language = user_language(user)
    limit = services.settings.telegram_max_upload_bytes
    try:
        report = await asyncio.to_thread(services.admin.add_document, name, data, f"telegram:{user.id}",
                                         replace=replace, meta=meta, max_bytes=limit)
    except DocumentExists:
        pending = PendingReplace(secrets.token_hex(8), name, data, meta, update.effective_chat.id,
                                 time.monotonic() + PENDING_SECONDS)
        if context.user_data is not None:  # one at a time: a newer upload's question replaces an older one
            context.user_data[_PENDING] = pending
        buttons = InlineKeyboardMarkup([[
            InlineKeyboardButton(t_plain(language, "replace_button", name=name), callback_data=f"rp:{pending.token}"),
            InlineKeyboardButton(t_plain(language, "keep_button"), callback_data=f"rp:keep:{pending.token}"),
        ]])
        await reply(update, ui(language, "upload_exists", name=name), buttons)
        return
    except (DocumentError, AdvisorError) as exc:
        log.warning("document %r from Telegram user %s not added: %s", name, user.id, exc)
        await reply(update, ui(language, "upload_failed", reason=str(exc)))
        return
    log.info("document %r added by Telegram user %s%s: %s", name, user.id, " (replacing)" if replace else "",
             report.summary().splitlines()[0])
    await reply(update, split_html(f"<pre>{escape(report.summary())}</pre>"))


@admin_only
async def confirm_replace(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The admin's answer to "replace it?": only the admin and chat the question went to, before it expires."""
    query = update.callback_query
    language = user_language(update.effective_user)
    store = context.user_data if context.user_data is not None else {}
    pending: PendingReplace | None = store.get(_PENDING)
    keep, token = query.data.startswith("rp:keep:"), query.data.rsplit(":", 1)[1]
    if query.message is not None:
        await query.edit_message_reply_markup(None)
    if pending is None or not secrets.compare_digest(pending.token, token):  # an older question: the newer one stays
        await query.answer(t_plain(language, "replace_expired"), show_alert=True)
        return
    del store[_PENDING]
    if keep:
        await query.answer(t_plain(language, "replace_kept"))
        return
    if pending.chat_id != update.effective_chat.id or time.monotonic() > pending.expires:
        await query.answer(t_plain(language, "replace_expired"), show_alert=True)
        return
    await query.answer()
    await reply(update, ui(language, "working"))
    async with typing_shown(update.effective_chat):
        await _publish(update, context, pending.name, pending.data, True, pending.meta)
