"""The admin page at /admin: server-rendered HTML and plain forms, no script; behind a session cookie.

The admin token is posted once to /admin/login and exchanged for a session: an HttpOnly, SameSite=Strict cookie
scoped to /admin, which expires. Every form carries the session's CSRF token. Every action answers with a redirect
back to the page and a sentence saying what happened (or why nothing did).
"""
from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from advisor.documents import LANGUAGES
from advisor.errors import AdvisorError
from advisor.review import ATTACH, DISMISS, UNCOVERED, Entry
from ingest.curate import publish
from ingest.report import IngestReport
from ingest.service import UPLOAD_FIELDS

from ..services import Services
from .admin_figures import figures_section
from .admin_strings import admin_text
from .admin_view import PAGE_SIZE, QueueView
from .errors import CHANNEL

COOKIE, LANG_COOKIE = "advisor_admin", "advisor_admin_lang"
PAGE_UPLOAD_PATH = "/admin/page/upload"
SESSION_SECONDS = 30 * 60  # idle time after which an admin logs in again
STYLE = Path(__file__).parent / "static" / "admin.css"


@dataclass
class Session:
    actor: str
    csrf: str
    expires: float
    notes: list[str] = field(default_factory=list)  # what the last actions did, shown once
    notes_at: str = "review"  # where the last action's notes are shown: its section, or the entry the page lands on


class Sessions:
    """Admin sessions in memory: a restart logs everyone out, which is the safe direction."""

    def __init__(self, seconds: float = SESSION_SECONDS) -> None:
        self.seconds = seconds
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, actor: str) -> str:
        key = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._by_id = {k: s for k, s in self._by_id.items() if s.expires > now}
            self._by_id[key] = Session(actor, secrets.token_urlsafe(32), now + self.seconds)
        return key

    def get(self, key: str | None) -> Session | None:
        """The live session of a cookie, its idle time renewed; None when unknown or expired."""
        with self._lock:
            session = self._by_id.get(key or "")
            if session is None:
                return None
            if session.expires <= time.monotonic():
                del self._by_id[key or ""]
                return None
            session.expires = time.monotonic() + self.seconds
            return session

    def close(self, key: str | None) -> None:
        with self._lock:
            self._by_id.pop(key or "", None)


def page_language(request: Request) -> str:
    """?lang= first, then the language the admin chose before, then the browser's."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def add_admin_page(app: FastAPI, services: Services, tokens: dict[str, str]) -> Sessions:
    """The /admin page and its forms; the sessions are returned so a test can age them."""
    page = AdminPage(services, tokens)
    app.get("/admin", include_in_schema=False)(page.show)
    app.get("/admin.css", include_in_schema=False)(page.style)
    app.post("/admin/login", include_in_schema=False)(page.login)
    app.post("/admin/logout", include_in_schema=False)(page.logout)
    for path, anchor, handler in (("/admin/page/decide", "#review", page.decide), ("/admin/page/undo", "#review", page.undo),
                                  ("/admin/page/publish", "#versions", page.publish),
                                  ("/admin/page/rollback", "#versions", page.rollback),
                                  (PAGE_UPLOAD_PATH, "#documents", page.upload), ("/admin/page/remove", "#documents", page.remove)):
        app.post(path, include_in_schema=False)(page.form_action(handler, anchor))
    return page.sessions


Handler = Callable[[Session, FormData, str], Awaitable["list[str] | tuple[list[str], str]"]]  # notes[, where to land]


class AdminPage:
    """The page and its forms; each form's handler says, in the admin's language, what it did."""

    def __init__(self, services: Services, tokens: dict[str, str]) -> None:
        self.services, self.tokens, self.sessions = services, tokens, Sessions()

    def _session(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    async def _checked_form(self, request: Request) -> tuple[Session, FormData] | Response:
        """The session and the form of a POST, or the page that says why not (expired session, bad CSRF token)."""
        language = page_language(request)
        session = self._session(request)
        if session is None:
            return HTMLResponse(login_page(language, admin_text(language, "expired")), 401)
        form = await request.form(max_files=1, max_fields=16)
        given = form.get("csrf")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), session.csrf.encode()):
            return HTMLResponse(login_page(language, admin_text(language, "csrf"), session), 403)
        return session, form

    def form_action(self, handler: Handler, anchor: str) -> Callable[[Request], Awaitable[Response]]:
        """A form's endpoint: session and CSRF checked, the handler run, then back to the page with what it said."""

        async def endpoint(request: Request) -> Response:
            checked = await self._checked_form(request)
            if isinstance(checked, Response):
                return checked
            session, form = checked
            where = anchor
            try:
                said = await handler(session, form, page_language(request))
                notes, where = said if isinstance(said, tuple) else (said, anchor)
                session.notes.extend(notes)
            except AdvisorError as exc:  # named, safe to show: the admin reads why nothing changed
                session.notes.append(str(exc))
            session.notes_at = where.split("#")[-1]  # the page opens there, and says what the action did there
            return RedirectResponse(f"/admin{where}", 303)

        return endpoint

    def show(self, request: Request) -> Response:
        language = page_language(request)
        session = self._session(request)
        if session is None:
            response: Response = HTMLResponse(login_page(language))
        else:
            notes, session.notes = session.notes, []
            response = HTMLResponse(dashboard(self.services, language, session, notes, QueueView.of(request.query_params)))
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, path="/admin", samesite="strict", httponly=True)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def style(self) -> Response:
        return Response(STYLE.read_bytes(), media_type="text/css; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})

    async def login(self, request: Request) -> Response:
        language = page_language(request)
        form = await request.form(max_files=0, max_fields=4)
        given = str(form.get("token") or "").strip().encode()
        name = next((n for n, token in self.tokens.items() if given and hmac.compare_digest(given, token.encode())), None)
        if name is None:
            return HTMLResponse(login_page(language, admin_text(language, "bad_token")), 403)
        response = RedirectResponse("/admin", 303)
        response.set_cookie(COOKIE, self.sessions.open(f"{CHANNEL}:{name}"), max_age=int(self.sessions.seconds), path="/admin",
                            httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return response

    async def logout(self, request: Request) -> Response:
        checked = await self._checked_form(request)
        if isinstance(checked, Response):
            return checked
        self.sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse("/admin", 303)
        response.delete_cookie(COOKIE, path="/admin")
        return response

    async def decide(self, session: Session, form: FormData, language: str) -> tuple[list[str], str]:
        raw, decision = str(form.get("entry") or ""), str(form.get("decision") or "")
        view = QueueView.of(form)
        if not raw.isdigit():
            return [admin_text(language, "bad_entry", value=raw[:40])], view.query() + "#review"
        entry, passage = int(raw), str(form.get("passage") or "") or None
        following = await run_in_threadpool(self._following, entry, view)
        changed = await run_in_threadpool(self.services.review.decide, entry, decision, session.actor, passage)
        if not changed:
            said = admin_text(language, "already", entry=entry)
        elif decision == DISMISS:
            said = admin_text(language, "dismissed", entry=entry)
        else:
            words = decision_words(language, decision, passage)
            opening = _passage_words(self.services, passage) if decision == ATTACH else ""
            said = admin_text(language, "decided", entry=entry, decision=f"{words} ({opening})" if opening else words)
        return [said], following

    def _following(self, entry_id: int, view: QueueView) -> str:
        """Where the page lands once `entry_id` is decided: the next undecided entry of the view (the one before, for
        the last), on the page it will then be on; the queue's top when none is left."""
        entries = view.of_queue(self.services.review.entries())
        ids = [e.id for e in entries]
        if entry_id not in ids:
            return view.query() + "#review"
        at = ids.index(entry_id)
        rest = ids[:at] + ids[at + 1:]
        if not rest:
            return view.query(page=1) + "#review"
        landing = min(at, len(rest) - 1)
        return view.query(page=landing // PAGE_SIZE + 1) + f"#entry-{rest[landing]}"

    async def undo(self, session: Session, form: FormData, language: str) -> tuple[list[str], str]:
        raw = str(form.get("entry") or "")
        if not raw.isdigit():
            return [admin_text(language, "bad_entry", value=raw[:40])], "#review"
        undone = await run_in_threadpool(self.services.review.undo, int(raw), session.actor)
        ids = [e.id for e in await run_in_threadpool(self.services.review.entries)]
        back = QueueView(ids.index(int(raw)) // PAGE_SIZE + 1).query() + f"#entry-{raw}" if int(raw) in ids else "#review"
        return [admin_text(language, "undone" if undone else "already", entry=int(raw))], back

    async def publish(self, session: Session, form: FormData, language: str) -> list[str]:
        report, carried = await run_in_threadpool(publish, self.services.admin, self.services.review, session.actor)
        regressed = [f"{r.id}: {r.question} → " + "; ".join(f"#{s.entry} ({s.why})" for s in report.suspects[r.id])
                     for r in (report.checks.regressions if report.checks else ()) if report.suspects.get(r.id)]
        return [built(language, report), admin_text(language, "carried", count=len(carried.entries)), *regressed,
                *report.answered_lines(), *report.untaken_lines()]

    async def rollback(self, session: Session, form: FormData, language: str) -> list[str]:
        done = await run_in_threadpool(self.services.admin.rollback, str(form.get("version") or "") or None, session.actor)
        return done.summary(lambda key, **values: admin_text(language, key, **values)).splitlines()

    async def upload(self, session: Session, form: FormData, language: str) -> list[str]:
        sent = form.get("file")
        if not isinstance(sent, UploadFile) or not sent.filename:
            return [f"{admin_text(language, 'file')}: —"]
        data, name = await sent.read(), sent.filename
        replace = form.get("replace") == "on"
        meta = {k: str(form.get(k)) for k in UPLOAD_FIELDS if isinstance(form.get(k), str) and str(form.get(k)).strip()}
        report = await run_in_threadpool(lambda: self.services.admin.add_document(name, data, session.actor, replace=replace,
                                                                                   meta=meta))
        return [built(language, report)]

    async def remove(self, session: Session, form: FormData, language: str) -> list[str]:
        name = str(form.get("name") or "")
        if form.get("confirm") != "on":
            return [f"{name}: {admin_text(language, 'confirm_remove')}?"]
        return [built(language, await run_in_threadpool(self.services.admin.remove_document, name, session.actor))]


# Rendering -------------------------------------------------------------------------------------------------
def _page(language: str, body: str) -> str:
    switch = " · ".join(f'<a href="/admin?lang={code}" lang="{code}" hreflang="{code}"'
                        + (' aria-current="true"' if code == language else "") + f">{name}</a>"
                        for code, name in (("en", "English"), ("fr", "Français"), ("nl", "Nederlands")))
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(admin_text(language, "title"))}</title><link rel="stylesheet" href="/admin.css"></head><body>'
            f'<a class="skip" href="#review">{escape(admin_text(language, "skip"))}</a>'
            f'<header><h1>{escape(admin_text(language, "title"))}</h1>'
            f'<nav aria-label="{escape(admin_text(language, "language"), quote=True)}">{switch}</nav></header>'
            f"<main>{body}</main></body></html>")


def built(language: str, report: IngestReport) -> str:
    if report.published:
        return admin_text(language, "published", version=report.version)
    return admin_text(language, "not_published", reason=report.reason)


def login_page(language: str, problem: str | None = None, session: Session | None = None) -> str:
    said = f'<p class="problem" role="alert">{escape(problem)}</p>' if problem else ""
    again = '<p><a href="/admin">/admin</a></p>' if session else ""
    return _page(language, f'<section><h2>{escape(admin_text(language, "login"))}</h2>{said}{again}'
                           f'<form method="post" action="/admin/login"><p>{escape(admin_text(language, "login_help"))}</p>'
                           f'<label for="token">{escape(admin_text(language, "token"))}</label> '
                           '<input id="token" name="token" type="password" autocomplete="current-password" required autofocus> '
                           f'<button type="submit">{escape(admin_text(language, "login"))}</button></form></section>')


def _csrf(session: Session) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(session.csrf, quote=True)}">'


def _button(session: Session, action: str, label: str, fields: dict[str, str], css: str = "") -> str:
    hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(v, quote=True)}">' for k, v in fields.items())
    return (f'<form method="post" action="{action}" class="inline">{_csrf(session)}{hidden}'
            f'<button type="submit"{f" class={css!r}" if css else ""}>{escape(label)}</button></form>')


def decision_words(language: str, decision: str, passage: str | None) -> str:
    if decision == ATTACH:
        return admin_text(language, "decision_attach", passage=passage or "")
    return admin_text(language, "decision_uncovered") if decision == UNCOVERED else admin_text(language, "dismiss")


def dashboard(services: Services, language: str, session: Session, notes: list[str], view: QueueView | None = None) -> str:
    def say(key: str, **values) -> str:
        return escape(admin_text(language, key, **values))

    said = ('<div class="notes" role="status">' + "".join(f"<p>{escape(n)}</p>" for n in notes) + "</div>") if notes else ""

    def here(section: str) -> str:  # the notes go under the heading of the section the page opens at
        return said if section == session.notes_at else ""

    return _page(language, "".join((
        _button(session, "/admin/logout", admin_text(language, "logout"), {}, "quiet"),
        _review_section(services, language, session, say, view or QueueView(), said, session.notes_at),
        _versions_section(services, language, session, say, here("versions")),
        _documents_section(services, language, session, say, here("documents")),
        figures_section(services, say))))


def _entry_html(services: Services, entry: Entry, language: str, session: Session, say, view: QueueView,
                said: str = "") -> str:
    meta = " · ".join([say(f"reason_{entry.reason}"), entry.language, say("asked", count=entry.count, when=entry.last_asked[:16]
                                                                              .replace("T", " ")),
                       say("confidence", value=f"{entry.confidence:.2f}")])
    earlier = (f'<p class="earlier">{say("was_" + entry.earlier_decision, date=(entry.earlier_decided_at or "")[:10])}</p>'
               if entry.earlier_decision else "")
    fields = {"entry": str(entry.id)} | view.fields()
    candidates = "".join(
        f'<li><blockquote>{escape(c.text)}</blockquote>{_translated(services, c.passage_id, entry.language, say)}'
        f'<p class="source">{escape(c.document)} · <code>{escape(c.passage_id)}</code> · {c.score:.2f} · '
        f'<a href="/documents/{escape(c.document, quote=True)}#{escape(c.passage_id, quote=True)}">{say("view")}</a></p>'
        + _button(session, "/admin/page/decide", admin_text(language, "attach"),
                  fields | {"decision": ATTACH, "passage": c.passage_id}) + "</li>"
        for c in entry.candidates)
    return (f'<article class="entry" id="entry-{entry.id}"><h3 lang="{escape(entry.language, quote=True)}">'
            f"#{entry.id} {escape(entry.question)}</h3>{said}<p class=\"meta\">{meta}</p>{earlier}"
            f"<ol class=\"candidates\">{candidates}</ol>"
            '<p class="actions">'
            + _button(session, "/admin/page/decide", admin_text(language, "uncovered"), fields | {"decision": UNCOVERED})
            + _button(session, "/admin/page/decide", admin_text(language, "dismiss"), fields | {"decision": DISMISS}, "quiet")
            + "</p></article>")


def _translated(services: Services, passage_id: str, language: str, say) -> str:
    """The passage in the asker's language (an unofficial translation), when the question was not asked in English."""
    passage = services.advisor.passage(passage_id)
    text = passage.translations.get(language) if passage is not None else None
    return (f'<blockquote class="translation" lang="{escape(language, quote=True)}"><p class="meta">{say("translation")}</p>'
            f"{escape(text)}</blockquote>") if text else ""


def _passage_words(services: Services, passage_id: str | None) -> str:
    """Which passage an attachment names, in plain words: its document and first words, not only its id."""
    passage = services.advisor.passage(passage_id) if passage_id else None
    if passage is None:
        return ""
    words = passage.text if len(passage.text) <= 120 else passage.text[:120].rsplit(" ", 1)[0] + "…"
    return f"{passage.document}: “{words}”"


def _opening(services: Services, passage_id: str | None) -> str:
    """Which passage a pending attachment names: its document and first words, not only its id."""
    words = _passage_words(services, passage_id)
    return f'<br><span class="meta">{escape(words)}</span>' if words else ""


def _review_section(services: Services, language: str, session: Session, say, view: QueueView, said: str,
                    notes_at: str) -> str:
    entries = services.review.entries()
    shown = view.of_queue(entries)
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    view = QueueView(min(view.page, pages), view.asked)
    on_page = shown[(view.page - 1) * PAGE_SIZE:view.page * PAGE_SIZE]
    landing = next((e.id for e in on_page if notes_at == f"entry-{e.id}"), None)  # the notes are said where it lands
    listed = "".join(_entry_html(services, e, language, session, say, view, said if e.id == landing else "")
                     for e in on_page) or f"<p>{say('empty_queue')}</p>"
    notes = said if notes_at == "review" or notes_at.startswith("entry-") and landing is None else ""
    pending = services.review.pending()
    waiting = "".join(f"<li>#{e.id} {escape(e.question)}: {escape(decision_words(language, e.decision or '', e.passage_id))} "
                      f"({say('by', who=e.decided_by or '')}){_opening(services, e.passage_id)} "
                      + _button(session, "/admin/page/undo", admin_text(language, "undo"), {"entry": str(e.id)}, "quiet")
                      + "</li>" for e in pending)
    return (f'<section id="review" aria-labelledby="review-h"><h2 id="review-h">{say("review")} ({len(entries)})</h2>'
            f'{notes}<p class="help">{say("review_help")}</p>{_queue_nav(entries, view, pages, say)}{listed}'
            + (_queue_nav(entries, view, pages, say, languages=False) if len(on_page) > 5 else "") +
            f'<h3>{say("pending")}</h3>' + (f"<ul>{waiting}</ul>" if waiting else f"<p>{say('no_pending')}</p>") + "</section>")


def _queue_nav(entries: list[Entry], view: QueueView, pages: int, say, languages: bool = True) -> str:
    """Links to the queue's pages and, above the entries, to the questions asked in each language; no script."""
    def link(query: str, label: str, current: bool) -> str:
        return f'<a href="/admin{query}#review"' + (' aria-current="page"' if current else "") + f">{label}</a>"

    counts = {code: sum(e.language == code for e in entries) for code in LANGUAGES}
    by_language = ('<p class="filter">' + say("asked_in") + " " + " · ".join(
        [link(view.query(page=1, asked=None), f"{say('all')} ({len(entries)})", view.asked is None)]
        + [link(view.query(page=1, asked=code), f"{code} ({n})", view.asked == code) for code, n in counts.items() if n])
        + "</p>") if languages and len(entries) > 0 else ""
    numbers = (f'<nav class="pages" aria-label="{say("pages")}">' + " ".join(
        link(view.query(page=n), str(n), n == view.page)
        for n in range(1, pages + 1)) + "</nav>") if pages > 1 else ""
    return by_language + numbers


def _versions_section(services: Services, language: str, session: Session, say, notes: str) -> str:
    rows = services.admin.store.version_rows()
    table = "".join(f"<tr><td>{escape(r['id'])}{' <strong>(' + say('serving') + ')</strong>' if r['serving'] else ''}</td>"
                    f"<td>{escape(str(r['created'])[:16].replace('T', ' '))}</td><td>{escape(str(r['created_by']))}</td>"
                    f"<td>{r['documents']}</td><td>{r['passages']}</td></tr>" for r in reversed(rows))
    options = f'<option value="">{say("rollback_default")}</option>' + "".join(
        f'<option value="{escape(r["id"], quote=True)}">{escape(r["id"])}</option>' for r in reversed(rows) if not r["serving"])
    audit = "".join(f"<tr><td>{escape(str(e.get('time', ''))[:16].replace('T', ' '))}</td><td>{escape(str(e.get('action', '')))}</td>"
                    f"<td>{escape(str(e.get('actor', '')))}</td><td>{escape(_audit_words(e))}</td></tr>"
                    for e in list(reversed(services.admin.store.audit_entries()))[:12])
    count = len(services.review.pending())
    return (f'<section id="versions" aria-labelledby="versions-h"><h2 id="versions-h">{say("versions")}</h2>'
            f'{notes}<p class="help">{say("publish_help")}</p>'
            + _button(session, "/admin/page/publish", admin_text(language, "publish", count=count), {})
            + f'<form method="post" action="/admin/page/rollback">{_csrf(session)}<label for="version">{say("rollback")}</label> '
            f'<select id="version" name="version">{options}</select> <button type="submit">{say("rollback")}</button></form>'
            f'<table><thead><tr><th scope="col">{say("version")}</th><th scope="col">{say("when")}</th><th scope="col">{say("who")}'
            f'</th><th scope="col">{say("documents")}</th><th scope="col">passages</th></tr></thead><tbody>{table}</tbody></table>'
            f'<h3>{say("audit")}</h3><table><thead><tr><th scope="col">{say("when")}</th><th scope="col">{say("what")}</th>'
            f'<th scope="col">{say("who")}</th><th scope="col"></th></tr></thead><tbody>{audit}</tbody></table></section>')


def _audit_words(entry: dict) -> str:
    bits = [str(entry[k]) + (" (forced)" if k == "result" and entry.get("forced") else "")
            for k in ("version", "document", "decision", "passage", "result", "reason") if entry.get(k)]
    if entry.get("question"):
        bits.append(f"“{str(entry['question'])[:80]}”")
    return " · ".join(bits)


def _build_words(build: dict | None, rows: list[dict], say) -> str:
    """The last build's report and gate, in sentences."""
    if not build:
        return f"<p>{say('no_build')}</p>"
    row = next((r for r in rows if r["id"] == build.get("version")), {})
    lines = [say("built_ok", version=build.get("version"), documents=row.get("documents", "?"), passages=row.get("passages", "?"))
             if build.get("result") == "published" else say("built_not", reason=build.get("reason") or "")]
    checks = build.get("checks") or {}
    lines.append(say("checks_words", passed=checks.get("passed"), total=checks.get("total")) if checks.get("total")
                 else say("checks_none"))
    if checks.get("regressions"):
        lines.append(say("regressed", count=len(checks["regressions"])))
    if build.get("failed"):
        lines.append(say("failed_files", files=", ".join(str(f[0]) for f in build["failed"])))
    return "".join(f"<p>{line}</p>" for line in lines)


def _documents_section(services: Services, language: str, session: Session, say, notes: str) -> str:
    documents = services.admin.documents()
    listed = "".join(
        f'<li><a href="/documents/{escape(d.path, quote=True)}">{escape(d.title)}</a> <span class="meta">{escape(d.path)} · '
        f"{escape(d.issuer)} · {escape(d.date)} · {escape(d.language)}</span>"
        f'<form method="post" action="/admin/page/remove" class="inline">{_csrf(session)}'
        f'<input type="hidden" name="name" value="{escape(d.path, quote=True)}">'
        f'<label><input type="checkbox" name="confirm" required> {say("confirm_remove")}</label> '
        f'<button type="submit" class="quiet">{say("remove")}</button></form></li>' for d in documents)
    fields = "".join(f'<p><label for="up-{key}">{say(label)}</label> <input id="up-{key}" name="{key}" type="{kind}"></p>'
                     for key, label, kind in (("title", "doc_title", "text"), ("issuer", "issuer", "text"),
                                              ("date", "date", "text"), ("url", "url", "url")))
    choices = (f'<p><label for="up-authority">{say("authority")}</label> <select id="up-authority" name="authority">'
               f'<option value=""></option><option value="official">{say("official")}</option>'
               f'<option value="summary">{say("summary")}</option></select> '
               f'<label for="up-language">{say("doc_language")}</label> <select id="up-language" name="language">'
               '<option value=""></option>' + "".join(f'<option value="{code}">{code}</option>' for code in LANGUAGES)
               + "</select></p>")
    return (f'<section id="documents" aria-labelledby="documents-h"><h2 id="documents-h">{say("documents")}</h2>'
            f"{notes}<ul class=\"documents\">{listed}</ul><h3>{say('upload')}</h3>"
            f'<form method="post" action="{PAGE_UPLOAD_PATH}" enctype="multipart/form-data">{_csrf(session)}'
            f'<p><label for="up-file">{say("file")}</label> <input id="up-file" name="file" type="file" required></p>'
            f'{fields}{choices}<p><label><input type="checkbox" name="replace"> {say("replace")}</label></p>'
            f'<button type="submit">{say("send")}</button></form>'
            f'<h3>{say("last_build")}</h3>{_build_words(services.admin.last_build(), services.admin.store.version_rows(), say)}</section>')
