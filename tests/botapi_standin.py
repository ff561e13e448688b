"""A small Telegram Bot API stand-in: users' updates go in, every call the bot makes is recorded.

The same `BotApiStandIn` answers over HTTP on 127.0.0.1 (for the real Application polling it through
`base_url`) or in memory through `OfflineRequest` (for `Application.process_update` tests). Message
HTML is checked the way Telegram's parser checks it, and texts must fit in 4,096 characters.
"""
from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram.request import BaseRequest, RequestData

TOKEN = "123456:TEST-token_for-the-stand-in"
BOT_USER = {"id": 777000, "is_bot": True, "first_name": "Collaboration Advisor", "username": "advisor_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
ANA = {"id": 1001, "is_bot": False, "first_name": "Ana", "language_code": "en"}
ADMIN = {"id": 42, "is_bot": False, "first_name": "Ada", "language_code": "en"}
GROUP = {"id": -100200300, "type": "supergroup", "title": "Lab chat"}

TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
        "tg-spoiler", "span", "tg-emoji"}
_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^<>]*)>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<>&]")
_JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "link_preview_options", "reply_parameters", "scope",
                "entities"}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id"}
MESSAGE_LIMIT = 4096


class HtmlProblem(ValueError):
    """What Telegram would answer with "Bad Request: can't parse entities"."""


def parse_telegram_html(text: str) -> str:
    """The text a user sees for `text` sent with parse_mode HTML; raises HtmlProblem where Telegram would refuse it."""
    plain, stack, pos = [], [], 0
    for m in _TOKEN.finditer(text):
        plain.append(text[pos:m.start()])
        pos = m.end()
        if m.group(2):
            closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3).strip()
            if name not in TAGS:
                raise HtmlProblem(f"unsupported start tag {name!r} at byte offset {m.start()}")
            if closing:
                if not stack or stack[-1] != name:
                    raise HtmlProblem(f"unmatched end tag </{name}> at offset {m.start()} (open: {stack})")
                stack.pop()
                continue
            _check_attributes(name, attrs)
            if name == "blockquote" and "blockquote" in stack:
                raise HtmlProblem("blockquotes cannot be nested")
            stack.append(name)
        elif m.group(4):
            plain.append(html.unescape(m.group(0)))
        else:
            raise HtmlProblem(f"unescaped {m.group(0)!r} at offset {m.start()}: {text[max(0, m.start() - 30):m.end() + 30]!r}")
    plain.append(text[pos:])
    if stack:
        raise HtmlProblem(f"unclosed tags at the end: {stack}")
    return "".join(plain)


def _check_attributes(name: str, attrs: str) -> None:
    allowed = {"a": r'href="[^"]*"', "blockquote": r"expandable", "span": r'class="tg-spoiler"',
               "code": r'class="language-[\w+-]+"', "tg-emoji": r'emoji-id="\d+"'}
    if name == "a" and not attrs:
        raise HtmlProblem("<a> needs an href")
    if attrs and not re.fullmatch(allowed.get(name, "(?!)"), attrs):
        raise HtmlProblem(f"unexpected attributes on <{name}>: {attrs!r}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Sent:
    """A message of the bot as the user sees it."""

    message_id: int
    chat_id: int
    text: str  # what the user reads (HTML parsed)
    html: str  # what the bot sent
    markup: dict | None = None
    reply_to: int | None = None
    edits: int = 0

    @property
    def buttons(self) -> list[list[tuple[str, str]]]:
        """Rows of (label, callback data or URL)."""
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [[(b["text"], b.get("callback_data") or b.get("url", "")) for b in row] for row in rows]

    def button(self, label_start: str) -> tuple[str, str]:
        return next(b for row in self.buttons for b in row if b[0].startswith(label_start))


@dataclass
class BotApiStandIn:
    """The Bot API as one bot sees it: queued updates, recorded calls, sent messages, uploaded files."""

    token: str = TOKEN
    calls: list[tuple[str, dict]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # anything Telegram would have refused
    sent: list[Sent] = field(default_factory=list)
    floods: dict[str, int] = field(default_factory=dict)  # method -> how many calls get 429 before succeeding
    blocked: set[int] = field(default_factory=set)  # chats whose user has blocked the bot

    def __post_init__(self) -> None:
        self._updates: list[dict] = []
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._files: dict[str, bytes] = {}
        self._chats: dict[int, dict] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._server: ThreadingHTTPServer | None = None

    # What users do ---------------------------------------------------------------------------------------
    def user_sends(self, text: str | None = None, *, user: dict = ANA, chat: dict | None = None, edited: bool = False,
                   reply_to: Sent | None = None, **fields) -> dict:
        """Queue a message from `user` (in a private chat unless `chat` is given); returns the update."""
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "from": user,
                   "chat": chat or self._private_chat(user)} | fields
        if text is not None:
            message["text"] = text
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
            entities += [{"type": "mention", "offset": m.start(), "length": len(m.group(0))}
                         for m in re.finditer(r"@\w+", text)]
            if entities:
                message["entities"] = entities
        if edited:
            message["edit_date"] = int(time.time())
        if reply_to is not None:
            message["reply_to_message"] = self._message_json(reply_to)
        self._chats[message["chat"]["id"]] = message["chat"]
        return self._queue({"edited_message" if edited else "message": message})

    def user_uploads(self, filename: str, data: bytes, *, user: dict = ADMIN, mime: str = "text/markdown",
                     caption: str | None = None) -> dict:
        file_id = f"file-{len(self._files) + 1}"
        self._files[file_id] = data
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": filename, "mime_type": mime,
                    "file_size": len(data)}
        return self.user_sends(user=user, document=document, **({"caption": caption} if caption else {}))

    def user_presses(self, message: Sent, label_start: str, *, user: dict = ANA) -> dict:
        """Press the inline button whose label starts with `label_start` under `message`."""
        _, data = message.button(label_start)
        return self._queue({"callback_query": {"id": str(next(self._ids)), "from": user, "chat_instance": "ci-1",
                                               "data": data, "message": self._message_json(message)}})

    # What users see --------------------------------------------------------------------------------------
    def messages(self, chat_id: int | None = None) -> list[Sent]:
        with self._cond:
            return [m for m in self.sent if chat_id is None or m.chat_id == chat_id]

    def methods(self, name: str) -> list[dict]:
        with self._cond:
            return [params for method, params in self.calls if method == name]

    async def until(self, predicate, timeout: float = 30.0):
        """Wait (letting the bot's event loop run) until predicate() is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s; bot calls so far: {[m for m, _ in self.calls]}")
            await asyncio.sleep(0.05)

    async def reply_to(self, update: dict, count: int = 1, timeout: float = 30.0) -> list[Sent]:
        """The first `count` messages the bot sent after `update` was queued, once they are there."""
        chat_id = _chat_of(update)
        after = update["_sent_before"]
        return await self.until(lambda: (lambda new: new[:count] if len(new) >= count else None)(
            [m for m in self.sent[after:] if m.chat_id == chat_id]), timeout)

    # The API ---------------------------------------------------------------------------------------------
    def call(self, method: str, params: dict) -> tuple[int, dict]:
        """Answer one Bot API call like Telegram would: (HTTP status, JSON body)."""
        params = _decode(params)
        with self._cond:
            self.calls.append((method, params))
            if self.floods.get(method):
                self.floods[method] -= 1
                return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                             "parameters": {"retry_after": 1}}
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._refuse(404, f"Not Found: method {method} is not in the stand-in")
        try:
            return 200, {"ok": True, "result": handler(params)}
        except HtmlProblem as exc:
            return self._refuse(400, f"Bad Request: can't parse entities: {exc}")
        except _ApiRefusal as exc:
            return self._refuse(exc.status, exc.description)

    def download(self, path: str) -> bytes | None:
        return self._files.get(path.rsplit("/", 1)[-1])

    def _refuse(self, status: int, description: str) -> tuple[int, dict]:
        self.problems.append(description)
        return status, {"ok": False, "error_code": status, "description": description}

    def _api_getMe(self, params: dict) -> dict:
        return BOT_USER

    def _api_deleteWebhook(self, params: dict) -> bool:
        return True

    def _api_setWebhook(self, params: dict) -> bool:
        return True

    def _api_setMyCommands(self, params: dict) -> bool:
        return True

    def _api_sendChatAction(self, params: dict) -> bool:
        return True

    def _api_answerCallbackQuery(self, params: dict) -> bool:
        return True

    def _api_close(self, params: dict) -> bool:
        return True

    def _api_getUpdates(self, params: dict) -> list[dict]:
        offset, wait = params.get("offset") or 0, min(float(params.get("timeout") or 0), 2.0)
        deadline = time.monotonic() + wait
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closed and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return [{k: v for k, v in u.items() if not k.startswith("_")} for u in self._updates[: params.get("limit") or 100]]

    def _api_sendMessage(self, params: dict) -> dict:
        if params["chat_id"] in self.blocked:
            raise _ApiRefusal(403, "Forbidden: bot was blocked by the user")
        text = params.get("text", "")
        plain = parse_telegram_html(text) if params.get("parse_mode") == "HTML" else text
        if not plain.strip():
            raise _ApiRefusal(400, "Bad Request: message text is empty")
        if utf16_len(plain) > MESSAGE_LIMIT:
            raise _ApiRefusal(400, f"Bad Request: message is too long ({utf16_len(plain)} characters)")
        reply = params.get("reply_parameters") or {}
        with self._cond:
            message = Sent(next(self._message_ids), params["chat_id"], plain, text, params.get("reply_markup"),
                           reply.get("message_id"))
            self.sent.append(message)
        return self._message_json(message)

    def _api_editMessageReplyMarkup(self, params: dict) -> dict:
        message = self._find(params)
        message.markup, message.edits = params.get("reply_markup"), message.edits + 1
        return self._message_json(message)

    def _api_editMessageText(self, params: dict) -> dict:
        message = self._find(params)
        plain = parse_telegram_html(params["text"]) if params.get("parse_mode") == "HTML" else params["text"]
        message.text, message.html, message.edits = plain, params["text"], message.edits + 1
        message.markup = params.get("reply_markup")
        return self._message_json(message)

    def _api_getFile(self, params: dict) -> dict:
        file_id = params["file_id"]
        if file_id not in self._files:
            raise _ApiRefusal(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(self._files[file_id]),
                "file_path": f"documents/{file_id}"}

    def _find(self, params: dict) -> Sent:
        for message in self.sent:
            if message.message_id == params.get("message_id") and message.chat_id == params.get("chat_id"):
                return message
        raise _ApiRefusal(400, "Bad Request: message to edit not found")

    def _message_json(self, message: Sent) -> dict:
        data = {"message_id": message.message_id, "date": int(time.time()), "from": BOT_USER,
                "chat": self._chats.get(message.chat_id) or {"id": message.chat_id, "type": "private"},
                "text": message.text}
        if message.markup and "inline_keyboard" in message.markup:  # as Telegram: a ForceReply is not shown back
            data["reply_markup"] = message.markup
        return data

    def _private_chat(self, user: dict) -> dict:
        return {"id": user["id"], "type": "private", "first_name": user.get("first_name", "")}

    def _queue(self, body: dict) -> dict:
        with self._cond:
            update = {"update_id": next(self._ids)} | body | {"_sent_before": len(self.sent)}
            self._updates.append(update)
            self._cond.notify_all()
        return update

    def update_json(self, update: dict) -> dict:
        """The update as Telegram would deliver it (for Update.de_json in process_update tests)."""
        return {k: v for k, v in update.items() if not k.startswith("_")}

    # HTTP ------------------------------------------------------------------------------------------------
    def serve(self, port: int) -> str:
        """Answer over HTTP on 127.0.0.1:port in a thread; returns the base URL to give the bot (…/bot)."""
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                kind = self.headers.get("Content-Type", "")
                if kind.startswith("application/json"):
                    params = json.loads(body or "{}")
                elif kind.startswith("multipart/"):
                    self._send(*standin._refuse(400, "Bad Request: the stand-in does not take file uploads"))
                    return
                else:
                    params = dict(parse_qsl(body))
                self._route(params)

            def do_GET(self) -> None:
                self._route(dict(parse_qsl(urlsplit(self.path).query)))

            def _route(self, params: dict) -> None:
                path = unquote(urlsplit(self.path).path)
                file_prefix, api_prefix = f"/file/bot{standin.token}/", f"/bot{standin.token}/"
                if path.startswith(file_prefix):
                    data = standin.download(path[len(file_prefix):])
                    self.send_response(200 if data is not None else 404)
                    self.send_header("Content-Length", str(len(data or b"")))
                    self.end_headers()
                    self.wfile.write(data or b"")
                elif path.startswith(api_prefix):
                    self._send(*standin.call(path[len(api_prefix):], params))
                else:
                    self._send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the bot stopped polling mid-request
                    pass

            def log_message(self, format: str, *args) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="botapi-standin", daemon=True).start()
        return f"http://127.0.0.1:{port}/bot"

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._server:
            self._server.shutdown()
            self._server.server_close()


class _ApiRefusal(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def _decode(params: dict) -> dict:
    decoded = {}
    for key, value in params.items():
        if key in _JSON_FIELDS and isinstance(value, str):
            value = json.loads(value)
        elif key in _INT_FIELDS and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        decoded[key] = value
    return decoded


def _chat_of(update: dict) -> int:
    for key in ("message", "edited_message"):
        if key in update:
            return update[key]["chat"]["id"]
    return update["callback_query"]["message"]["chat"]["id"]


class OfflineRequest(BaseRequest):
    """The bot's transport in handler tests: the stand-in answers in memory and nothing reaches the network.

    A request the stand-in cannot serve is recorded in `standin.problems` (the fixtures fail the test on it)
    and raised; python-telegram-bot would otherwise turn it into a NetworkError for the error handler.
    """

    def __init__(self, standin: BotApiStandIn) -> None:
        self.standin = standin

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None, read_timeout=None,
                         write_timeout=None, connect_timeout=None, pool_timeout=None) -> tuple[int, bytes]:
        path = urlsplit(url).path
        token = self.standin.token
        if path.startswith(f"/file/bot{token}/"):
            data = self.standin.download(path)
            return (200, data) if data is not None else (404, b"")
        if not path.startswith(f"/bot{token}/") or (request_data is not None and request_data.multipart_data):
            self.standin.problems.append(f"network access attempted: {method} {url}")
            raise ConnectionRefusedError(f"offline test: {method} {url} is not served by the stand-in")
        method_name = path.rsplit("/", 1)[-1]
        status, body = self.standin.call(method_name, request_data.json_parameters if request_data else {})
        return status, json.dumps(body).encode()
