"""What every handler does around its own work: find the services, reply, show "typing…"."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from telegram import Chat, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from ..services import Services

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data["services"]


async def reply(update: Update, chunks: str | list[str], markup: InlineKeyboardMarkup | None = None) -> list[Message]:
    """Send HTML messages to the chat of the update; the buttons go on the last one. Returns what was sent."""
    chunks = [chunks] if isinstance(chunks, str) else chunks
    message, chat = update.effective_message, update.effective_chat
    sent = []
    for i, chunk in enumerate(chunks):
        buttons = markup if i == len(chunks) - 1 else None
        if message is not None and update.callback_query is None and i == 0:
            sent.append(await message.reply_text(chunk, reply_markup=buttons))  # quotes the question in groups only
        else:
            sent.append(await chat.send_message(chunk, reply_markup=buttons))
    return sent


@contextlib.asynccontextmanager
async def typing_shown(chat: Chat | None) -> AsyncIterator[None]:
    """Show "typing…" while the body runs; Telegram clears it after 5 s, so it is renewed."""
    if chat is None:
        yield
        return

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
