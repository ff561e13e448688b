"""The bot: its Application and handlers, its command menu, change notices, and running it until told to stop."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from advisor.errors import AdvisorError
from advisor.store import VersionInfo

from ..ratelimit import RateLimiter
from ..services import Services
from .access import gate
from .handlers import (
    about,
    edited,
    example,
    feedback,
    full_passage,
    gaps,
    help_command,
    new_conversation,
    not_text,
    on_error,
    question,
    reingest,
    remove_document,
    rollback,
    sources,
    start,
    stats,
    subscribe,
    unknown_command,
    unsubscribe,
)
from .render import change_notice
from .strings import COMMANDS
from .uploads import add_document, confirm_replace

log = logging.getLogger("advisor.telegram")


def file_url_for(api_url: str) -> str:
    """The file download base that goes with a Bot API base URL (…/bot -> …/file/bot)."""
    head, sep, tail = api_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else api_url.rstrip("/") + "/file/bot"


def build_application(services: Services, request: BaseRequest | None = None) -> Application:
    """The bot with its handlers; `request` replaces the HTTP transport (tests)."""
    settings = services.settings
    if not settings.telegram_token:
        raise AdvisorError("Telegram needs a bot token: set ADVISOR_TELEGRAM_TOKEN.")
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
    application.bot_data["rate_limit"] = RateLimiter(settings.rate_limit_per_minute)

    application.add_handler(TypeHandler(Update, gate), group=-1)
    application.add_handlers([
        MessageHandler(filters.UpdateType.EDITED, edited),
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("new", new_conversation),
        CommandHandler("sources", sources),
        CommandHandler("about", about),
        CommandHandler("subscribe", subscribe),
        CommandHandler("unsubscribe", unsubscribe),
        CommandHandler("stats", stats),
        CommandHandler("gaps", gaps),
        CommandHandler("reingest", reingest),
        CommandHandler("remove", remove_document),
        CommandHandler("rollback", rollback),
        MessageHandler(filters.COMMAND, unknown_command),
        MessageHandler(filters.TEXT, question),
        MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, add_document),
        MessageHandler(~filters.StatusUpdate.ALL, not_text),
        CallbackQueryHandler(example, pattern=r"^ex:"),
        CallbackQueryHandler(full_passage, pattern=r"^p:"),
        CallbackQueryHandler(feedback, pattern=r"^fb:"),
        CallbackQueryHandler(confirm_replace, pattern=r"^rp:"),
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
