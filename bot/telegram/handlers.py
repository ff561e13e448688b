"""Thin handlers: read the update, call the core off the event loop, reply in the asker's language."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from html import escape

from telegram import Chat, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from advisor.answer import Answer
from advisor.conversation import ask_in
from advisor.documents import DocumentMeta
from advisor.errors import AdvisorError, QuestionError
from advisor.journal import Recorded
from advisor.passages import Passage
from advisor.strings import t
from advisor.text import shorten

from ..strings import EXAMPLES
from .access import admin_only
from .context import reply, services_of, typing_shown
from .render import render_answer, render_passage, render_sources, split_html, t_plain, ui, user_language

log = logging.getLogger("advisor.telegram")

CHANNEL = "telegram"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what the advisor covers and offer example questions as buttons."""
    language = user_language(update.effective_user)
    buttons = [[InlineKeyboardButton(q, callback_data=f"ex:{language}:{i}")] for i, q in enumerate(EXAMPLES[language])]
    await reply(update, ui(language, "start"), InlineKeyboardMarkup(buttons))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to ask; admins also see their commands."""
    language = user_language(update.effective_user)
    text = ui(language, "help")
    if update.effective_user and update.effective_user.id in services_of(context).settings.admin_ids:
        text += "\n\n" + ui(language, "help_admin")
    await reply(update, text)


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the documents with issuer, date and link."""
    documents = await asyncio.to_thread(services_of(context).advisor.sources)
    await reply(update, render_sources(documents, user_language(update.effective_user)))


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What the advisor is, that it is not legal advice, and which knowledge version serves."""
    services = services_of(context)
    language = user_language(update.effective_user)
    documents = await asyncio.to_thread(services.advisor.sources)
    contact = services.settings.contact_for(language) or t(language, "contact")
    await reply(update, ui(language, "about", contact=contact, version=services.advisor.version, documents=len(documents)))


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send this chat a notice when documents are added or changed."""
    language = user_language(update.effective_user)
    added = services_of(context).journal.subscribe(update.effective_chat.id, language)
    await reply(update, ui(language, "subscribed" if added else "already_subscribed"))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop change notices for this chat."""
    language = user_language(update.effective_user)
    removed = services_of(context).journal.unsubscribe(update.effective_chat.id)
    await reply(update, ui(language, "unsubscribed" if removed else "not_subscribed"))


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat, or a message addressed to the bot in a group, is a question."""
    text = addressed_text(update.effective_message, context.bot.username, context.bot.id)
    if text is None:
        return
    replied = update.effective_message.reply_to_message
    asked_for = (context.chat_data or {}).get("comments", {}).get(replied.message_id) if replied else None
    if asked_for is not None:  # the answer to "what was missing?" after a 👎: a comment, not a question
        stored = services_of(context).journal.record_feedback(asked_for, -1, CHANNEL, str(update.effective_user.id),
                                                              comment=text.strip()[:1000] or None)
        await reply(update, ui(user_language(update.effective_user), "comment_thanks" if stored else "question_gone"))
        return
    await _answer(update, context, text)


async def example(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An example question from /start was pressed: ask it."""
    query = update.callback_query
    await query.answer()
    _, language, index = query.data.split(":")
    asked = EXAMPLES.get(language, EXAMPLES["en"])[int(index)]
    await _answer(update, context, asked, header=f"❓ <i>{escape(asked)}</i>")


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, header: str | None = None) -> None:
    services, user, chat = services_of(context), update.effective_user, update.effective_chat
    wait = context.bot_data["rate_limit"].wait_seconds(str(user.id))
    if wait:
        await reply(update, ui(user_language(user), "rate_limited", seconds=math.ceil(wait)))
        return
    key = conversation_key(update)
    topics = context.chat_data.setdefault("topics", {}) if context.chat_data is not None else {}
    replied = update.effective_message.reply_to_message if update.callback_query is None else None
    # A reply to an earlier message leans on that message's question, whatever was asked since.
    replying_to = (topics.get(replied.message_id) or (replied.text if replied.from_user and replied.from_user.id == user.id
                                                      else None)) if replied else None

    def ask() -> tuple[Answer, str, Recorded | None]:
        answer, topic = ask_in(services.advisor, services.conversations, key, text, replying_to=replying_to)
        recorded = services.journal.record_question(CHANNEL, str(user.id), answer)
        services.review.consider(answer)  # the question's words only: no Telegram id enters the queue
        return answer, topic, recorded

    try:
        async with typing_shown(chat):
            answer, topic, recorded = await asyncio.to_thread(ask)
    except QuestionError as exc:
        await reply(update, escape(str(exc)))
        return
    markup = None if answer.small_talk else answer_buttons(answer, recorded.question_id if recorded else None)
    sent = await reply(update, render_answer(answer, header, services.settings.public_url), markup)  # a greeting or thanks needs no buttons
    if not answer.small_talk:  # the asker's message (not a pressed button's) and the answer lead back to this topic
        asked = [] if update.callback_query else [update.effective_message.message_id]
        remember_topic(topics, [*asked, *(m.message_id for m in sent)], topic)


def conversation_key(update: Update) -> str:
    """One conversation per private chat, and one per user in a group."""
    chat, user = update.effective_chat, update.effective_user
    return f"telegram:{chat.id}" if chat.type == Chat.PRIVATE else f"telegram:{chat.id}:{user.id}"


def remember_topic(topics: dict[int, str], message_ids: list[int], topic: str, keep: int = 200) -> None:
    """What the question behind these messages was about, for a later reply to one of them; the oldest are dropped."""
    for message_id in message_ids:
        topics[message_id] = topic
    for old in list(topics)[: max(0, len(topics) - keep)]:
        del topics[old]


async def new_conversation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start afresh: the next question is not read with the earlier ones."""
    services_of(context).conversations.forget(conversation_key(update))
    await reply(update, ui(user_language(update.effective_user), "new"))


def answer_buttons(answer: Answer, question_id: int | None) -> InlineKeyboardMarkup:
    """One button per quote for its full passage, then 👍 / 👎 for the whole reply."""
    language = answer.language
    rows = [[InlineKeyboardButton(t_plain(language, "passage_button", n=n), callback_data=f"p:{language}:{q.passage_id}")]
            for n, q in enumerate(answer.quotes, 1)]
    if question_id is not None:  # None: the log could not be written, so there is nothing to rate
        rows.append([InlineKeyboardButton(t_plain(language, "helpful"), callback_data=f"fb:{language}:{question_id}:1"),
                     InlineKeyboardButton(t_plain(language, "not_helpful"), callback_data=f"fb:{language}:{question_id}:-1")])
    return InlineKeyboardMarkup(rows)


def addressed_text(message: Message | None, bot_username: str, bot_id: int) -> str | None:
    """The question in a message, or None when a group message is not meant for the bot."""
    if message is None:
        return None
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
    advisor = services_of(context).advisor

    def lookup() -> tuple[Passage | None, DocumentMeta | None]:
        passage = advisor.passage(passage_id)
        metas = {d.path: d for d in advisor.sources()}
        return passage, metas.get(passage.document) if passage else None

    passage, meta = await asyncio.to_thread(lookup)
    if passage is None or meta is None:
        await reply(update, ui(language, "passage_gone"))
        return
    await reply(update, render_passage(passage, meta, language, services_of(context).settings.public_url))


async def feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store 👍 / 👎 with the question, then take the feedback buttons away."""
    query, user = update.callback_query, update.effective_user
    _, language, question_id, rating = query.data.split(":")
    services = services_of(context)
    stored = services.journal.record_feedback(int(question_id), int(rating), CHANNEL, str(user.id))
    if stored and int(rating) < 0:
        await asyncio.to_thread(services.review.thumbs_down, services.journal.question(int(question_id)))
    await query.answer(t_plain(language, "thanks" if stored else "question_gone"))
    if stored and isinstance(query.message, Message) and query.message.reply_markup:
        rows = [row for row in query.message.reply_markup.inline_keyboard
                if not any(str(b.callback_data or "").startswith("fb:") for b in row)]
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)
    if stored and int(rating) < 0 and context.chat_data is not None:  # an optional word on what was missing
        prompt = await update.effective_chat.send_message(ui(language, "comment_prompt"), reply_markup=ForceReply(selective=True))
        asked = context.chat_data.setdefault("comments", {})
        asked[prompt.message_id] = int(question_id)
        for old in list(asked)[:-50]:
            del asked[old]


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edits are not re-answered; say so in a private chat."""
    if update.effective_chat.type == Chat.PRIVATE:
        await reply(update, ui(user_language(update.effective_user), "edited"))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have, in a private chat or addressed to this bot."""
    command = (update.effective_message.text or "").split()[0]
    name, _, target = command.partition("@")
    if update.effective_chat.type != Chat.PRIVATE and target.lower() != (context.bot.username or "").lower():
        return
    await reply(update, ui(user_language(update.effective_user), "unknown_command", command=name[:64]))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, locations…: ask for text, in a private chat or in reply to the bot."""
    message = update.effective_message
    replied = message.reply_to_message
    to_bot = replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id
    if message.chat.type == Chat.PRIVATE or to_bot:
        await reply(update, ui(user_language(update.effective_user), "not_text"))


@admin_only
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Questions, answered, not covered, feedback, subscribers."""
    figures = services_of(context).journal.stats()
    await reply(update, ui(user_language(update.effective_user), "stats", **{
        k: figures[k] for k in ("questions", "answered", "not_covered", "helpful", "not_helpful", "subscribers")}))


@admin_only
async def gaps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Recent questions the guidance did not cover."""
    language = user_language(update.effective_user)
    rows = services_of(context).journal.gaps(15)
    if not rows:
        await reply(update, ui(language, "no_gaps"))
        return
    lines = [ui(language, "gaps")] + [
        f"• {escape(r['time'][:16])} [{escape(r['language'])}] {escape(shorten(r['question'], 300))}" for r in rows]
    await reply(update, split_html("\n".join(lines)))


@admin_only
async def reingest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Re-ingest the knowledge folder and report the same summary as the CLI."""
    services, user = services_of(context), update.effective_user
    await _admin_act(update, lambda: services.admin.reingest(f"telegram:{user.id}").summary())


@admin_only
async def remove_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remove NAME: take a document out through a checked version, as `advisor remove` does."""
    services, user = services_of(context), update.effective_user
    language = user_language(user)
    if not context.args:
        await reply(update, ui(language, "remove_usage"))
        return
    await _admin_act(update, lambda: services.admin.remove_document(context.args[0], f"telegram:{user.id}").summary())


@admin_only
async def rollback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/rollback [VERSION]: serve the version that served before (or the one named), as `advisor rollback` does."""
    services, user = services_of(context), update.effective_user
    language = user_language(user)
    version = context.args[0] if context.args else None
    await _admin_act(update, lambda: services.admin.rollback(version, f"telegram:{user.id}").summary(
        lambda key, **values: t_plain(language, key, **values)))


async def _admin_act(update: Update, act) -> None:
    """Run an admin's act off the event loop and reply with what it says, or with the named error."""
    user = update.effective_user
    await reply(update, ui(user_language(user), "working"))
    try:
        async with typing_shown(update.effective_chat):
            said = await asyncio.to_thread(act)
    except AdvisorError as exc:  # IngestBusy and friends: the message says what to do
        log.warning("admin act by Telegram user %s refused: %s", user.id, exc)
        await reply(update, escape(str(exc)))
        return
    log.info("admin act by Telegram user %s: %s", user.id, said.splitlines()[0])
    await reply(update, split_html(f"<pre>{escape(said)}</pre>"))


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
