"""`advisor serve`: one engine, loaded once, behind the web API and widget and the Telegram bot."""
from __future__ import annotations

import asyncio
import errno
import logging
import socket

from advisor.answer import Advisor
from advisor.conversation import Conversations
from advisor.embeddings import Embedder, batching_for, embedder_for
from advisor.errors import AdvisorError
from advisor.journal import Journal
from advisor.review import open_queue
from advisor.settings import Settings
from advisor.summary import ChatModel
from ingest.service import KnowledgeAdmin
from integrations.chat_model import chat_model_for

from .services import VersionListener

log = logging.getLogger("advisor.serve")


class AddressUnavailable(AdvisorError):
    """The web server cannot listen where it was told to: the port is taken, or the host is not this machine's."""


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port for the web server, or an error saying which setting to change."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise AddressUnavailable(f"Cannot listen on host {host!r}: {exc.strerror}. Set another with `advisor serve --host …` "
                                 "or ADVISOR_WEB_HOST (127.0.0.1 for this machine only, 0.0.0.0 for every interface).") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise AddressUnavailable(
                f"Port {port} on {host} is already in use (another `advisor serve`, or another program). Stop it, or choose "
                f"another port: `advisor serve --port {port + 1}` or ADVISOR_WEB_PORT={port + 1}.") from exc
        raise AddressUnavailable(f"Cannot listen on {host}:{port}: {exc.strerror}. Set another address with `advisor serve "
                                 "--host … --port …` or ADVISOR_WEB_HOST and ADVISOR_WEB_PORT.") from exc
    return sock


class Runtime:
    """The one engine every door is handed (see `Services`): the advisor, the journal, the admin service."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, chat_model: ChatModel | None = None) -> None:
        """`chat_model` writes the summary above the quotes; None: the one ADVISOR_LLM names, if any."""
        self.settings = settings
        inner = embedder or embedder_for(settings)
        self.embedder = batching_for(inner, settings.remembered_questions)
        self.advisor = Advisor(settings, self.embedder, chat_model=chat_model or chat_model_for(settings))
        self.conversations = Conversations.from_settings(settings)
        self.journal = Journal(settings.store_dir / "activity.sqlite")
        self.review = open_queue(settings, self.advisor)
        self.admin = KnowledgeAdmin(settings, self.embedder, on_change=lambda: self.advisor.refresh(force=True))
        self.version_listeners: list[VersionListener] = []
        self.ready = False

    def load(self) -> None:
        """Load the serving version and warm the model, so the first question is as fast as the rest."""
        self.advisor.refresh(force=True)
        self.embedder.embed(["warm-up"])
        self.ready = True

    async def watch_versions(self, stop: asyncio.Event, interval: float = 2.0) -> None:
        """Pick up versions published by any process, and tell the listeners what changed."""
        seen = self.advisor.refresh().snapshot.info if self.ready else None
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
                break
            except TimeoutError:
                pass
            try:
                current = (await asyncio.to_thread(self.advisor.refresh, True)).snapshot.info
            except AdvisorError as exc:
                log.warning("knowledge watcher: %s", exc)
                continue
            self.ready = True  # also when nothing was published, or the store was out of reach, at start-up
            if seen is None or current.id != seen.id:
                log.info("now serving knowledge version %s", current.id)
                for listener in self.version_listeners:
                    try:
                        await listener(seen, current)
                    except Exception:
                        log.exception("version listener failed")
                seen = current


async def run(settings: Settings) -> None:
    import uvicorn

    from .web import create_app
    from .web.admin import admin_tokens

    sock = listen(settings.web_host, settings.web_port)  # before loading anything: a taken port is said at once
    services = Runtime(settings)
    stop = asyncio.Event()
    app = create_app(services)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.web_host, port=settings.web_port, log_level="info",
                                           proxy_headers=False, lifespan="on"))
    try:
        await asyncio.to_thread(services.load)
    except AdvisorError as exc:
        log.error("%s The web server starts anyway and reports not ready until knowledge is published.", exc)
    tasks = [asyncio.create_task(server.serve(sockets=[sock]), name="web"),
             asyncio.create_task(services.watch_versions(stop), name="watch")]
    if settings.telegram_token:
        from .telegram import run_telegram

        tasks.append(asyncio.create_task(run_telegram(services, stop), name="telegram"))
    else:
        log.info("Telegram is off: ADVISOR_TELEGRAM_TOKEN is not set.")
    if not admin_tokens(settings):  # /admin then answers 404, as if there were no such page
        log.info("The admin page (/admin) is off: neither ADVISOR_ADMIN_TOKEN nor ADVISOR_ADMIN_TOKENS is set.")
    log.info("Web chat at http://%s:%s/ (API docs at /docs)", settings.web_host, settings.web_port)
    try:
        await tasks[0]  # the web server ends on Ctrl-C / SIGTERM
    finally:
        stop.set()
        await asyncio.gather(*tasks[1:], return_exceptions=True)
        services.journal.close()
        services.review.close()


def serve(settings: Settings) -> int:
    asyncio.run(run(settings))
    return 0
