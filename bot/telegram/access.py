"""Who may talk to the bot, and who may change the knowledge through it."""
from __future__ import annotations

import functools
import logging

from telegram import Chat, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from .context import Handler, reply, services_of
from .render import t_plain, ui, user_language

log = logging.getLogger("advisor.telegram")


def admin_only(handler: Handler) -> Handler:
    """Run the handler for admins only; refuse everyone else politely; log who did what."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, action = update.effective_user, handler.__name__
        if user is None or user.id not in services_of(context).settings.admin_ids:
            log.warning("refused admin action %s to Telegram user %s", action, user.id if user else None)
            if update.callback_query is not None:  # stop the button's spinner too
                await update.callback_query.answer()
            await reply(update, ui(user_language(user), "admin_only"))
            return
        log.info("admin action %s by Telegram user %s", action, user.id)
        await handler(update, context)

    return guarded


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first: drops updates without a user; in a closed deployment, only listed users and admins pass."""
    settings = services_of(context).settings
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
        await reply(update, ui(user_language(user), "not_allowed"))
    raise ApplicationHandlerStop
