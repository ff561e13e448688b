"""The widget in Debian's headless Chromium against the real server on 127.0.0.1."""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

import bot.serve
from bot.web import create_app

from .conftest import free_port, make_settings

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(os.environ.get("ADVISOR_TEST_ARTIFACTS") or tempfile.gettempdir()) / "collaboration-advisor-widget"
XSS_DOC = """---
title: "Visitors policy <img src=x onerror=\\"window.pwned='title'\\">"
issuer: "<script>window.pwned='issuer'</script>Security office"
date: 2026-11-01
url: 'https://intranet.example.org/visitors" onmouseover="window.pwned=1'
language: en
authority: summary
---

# Hosting visiting scholars

Visiting scholars from Russia must register with the security office `<script>window.pwned='script'</script>` before their first day on campus. Registration uses the form `<img src=x onerror="window.pwned='img'">` on the intranet.
"""


@contextmanager
def serving(services, port: int | None = None):
    """The real app under uvicorn in a thread, as `advisor serve` runs it."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the web server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def host_site(folder: Path):
    """Another origin on the loopback address serving plain HTML pages: an intranet that embeds the widget."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    folder.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def start_services(settings, embedder):
    services = bot.serve.Runtime(settings, embedder=embedder)
    services.load()
    return services


@pytest.fixture(scope="module")
def site(built_store, tmp_path_factory, embedder):
    tmp = tmp_path_factory.mktemp("web")
    shutil.copytree(built_store, tmp / "store")
    with host_site(tmp / "intranet") as intranet, host_site(tmp / "elsewhere") as elsewhere:
        services = start_services(make_settings(tmp, cors_origins=intranet), embedder)
        with serving(services) as url:
            services.pages = {"intranet": (intranet, tmp / "intranet"), "elsewhere": (elsewhere, tmp / "elsewhere")}
            yield url, services
    services.journal.close()


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory, embedder):
    """A store whose one document carries markup in its text, title, issuer and link."""
    from ingest.build import ingest

    tmp = tmp_path_factory.mktemp("xss")
    (tmp / "knowledge").mkdir()
    (tmp / "knowledge" / "visitors.md").write_text(XSS_DOC)
    settings = make_settings(tmp, knowledge_dir=tmp / "knowledge")
    assert ingest(settings, None, embedder).published
    services = start_services(settings, embedder)
    with serving(services) as url:
        yield url, services
    services.journal.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.problems = problems
    yield page
    context.close()


def shot(page, name: str) -> None:
    """Save a screenshot for a person to look at: to $ADVISOR_TEST_ARTIFACTS, else the temporary directory."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def ask(page, question: str):
    """Type a question, press Enter, and return the answer's message once it is shown."""
    dialog = page.get_by_role("dialog")
    box = dialog.get_by_role("textbox")
    box.fill(question)
    box.press("Enter")
    answers = dialog.locator(".msg.bot").filter(has=page.locator(".fb"))
    answers.last.wait_for()
    return answers.last


def widget_focus(page) -> str | None:
    """The class of the focused element inside the widget's shadow root, or None if focus is elsewhere."""
    return page.evaluate("""() => { const h = document.querySelector('collab-advisor');
        const a = h && h.shadowRoot.activeElement; return document.activeElement === h && a ? (a.className || a.tagName) : null; }""")


def test_ask_in_the_widget_shows_quotes_sources_and_takes_feedback(site, page):
    url, services = site
    page.goto(url + "/")
    assert page.title().startswith("International cooperation")
    launcher = page.get_by_role("button", name="Ask the advisor")
    launcher.click()
    dialog = page.get_by_role("dialog", name="Collaboration Advisor")
    assert dialog.is_visible()
    assert dialog.get_by_role("log").is_visible()
    assert dialog.get_by_role("button", name="Can I keep working with my Russian co-author?").is_visible()
    answer = ask(page, "Can I keep working with my Russian co-author?")
    quote = answer.locator("blockquote").first
    assert len(quote.inner_text()) > 40
    caption = answer.locator("figcaption").first
    official = caption.locator(".badge").inner_text() == "Official text"
    title = caption.locator("cite").inner_text()
    in_context = caption.get_by_role("link", name=f"Read in context: {title}")
    link = caption.get_by_role("link", name=f"Read the source: {title}")
    assert in_context.get_attribute("href").startswith(url + "/documents/")
    assert link.get_attribute("href").startswith("http") and link.get_attribute("rel") == "noopener noreferrer"
    if official:  # the official page itself, scrolled to the quote by a text fragment
        assert "#:~:text=" in link.get_attribute("href")
    raw = services.advisor.ask("Can I keep working with my Russian co-author?").quotes[0]
    context = page.context.new_page()  # every quote can be read in its document on this server, highlighted
    context.goto(f"{url}/documents/{raw.document}#{raw.passage_id}")
    assert raw.text in context.locator(":target").inner_text()
    assert context.locator(":target").evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    context.close()
    assert "not legal advice" in answer.inner_text()
    shot(page, "widget-answer")

    answer.get_by_role("button", name="Helpful", exact=True).click()
    answer.get_by_text("Thank you for your feedback.").wait_for()
    assert answer.get_by_role("button", name="Helpful", exact=True).get_attribute("aria-pressed") == "true"
    stored = services.journal.recent_feedback(1)[0]
    assert stored["rating"] == 1 and stored["question"] == "Can I keep working with my Russian co-author?"
    assert page.problems == []


def test_not_covered_reply_names_whom_to_ask(site, page):
    url, _ = site
    page.goto(url + "/")
    page.get_by_role("button", name="Ask the advisor").click()
    answer = ask(page, "What is the recipe for a chocolate cake?")
    assert answer.locator("blockquote").count() == 0
    assert answer.get_by_text("Not covered by the guidance").is_visible()
    assert "research office" in answer.inner_text()
    shot(page, "widget-not-covered")


def test_french_page_speaks_french_and_shows_the_translation(site, page):
    url, _ = site
    page.goto(url + "/?lang=fr")
    page.get_by_role("button", name="Poser une question").click()
    dialog = page.get_by_role("dialog")
    assert dialog.get_by_role("textbox", name="Votre question").is_visible()
    answer = ask(page, "Les universités belges ont-elles suspendu leurs relations avec les universités russes ?")
    text = answer.inner_text()
    assert "Ces passages" in text or "Voici ce que disent" in text
    assert answer.get_by_text("Traduction non officielle (FR)").first.is_visible()
    assert answer.get_by_text("fait foi").first.is_visible()  # the translation's note: which text governs
    assert answer.get_by_role("button", name="Utile", exact=True).is_visible()
    shot(page, "widget-french")


def test_a_dutch_answer_on_an_english_page_has_dutch_labels(site, page):
    url, _ = site
    page.goto(url + "/")
    page.get_by_role("button", name="Ask the advisor").click()
    answer = ask(page, "Mag ik nog naar een wetenschappelijk congres in Rusland gaan?")
    assert answer.get_by_role("button", name="Nuttig", exact=True).is_visible()
    assert "Did this help?" not in answer.inner_text() and "Heeft dit geholpen?" in answer.inner_text()
    box = page.get_by_role("dialog").get_by_role("textbox")
    box.fill("Dank je wel")
    box.press("Enter")
    reply = page.get_by_role("dialog").locator(".msg.bot").filter(has_text="Graag gedaan")
    reply.wait_for()
    assert "Niet behandeld" not in reply.inner_text() and reply.locator(".fb").count() == 0


def test_keyboard_only(site, page):
    url, services = site
    page.goto(url + "/")
    for _ in range(40):  # Tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if widget_focus(page) == "launcher":
            break
    assert widget_focus(page) == "launcher"
    page.keyboard.press("Enter")
    assert page.get_by_role("dialog").is_visible() and widget_focus(page) == "TEXTAREA"
    page.keyboard.type("Do export controls apply to my research software?")
    page.keyboard.press("Enter")
    page.get_by_role("dialog").locator(".fb").last.wait_for()
    assert widget_focus(page) == "TEXTAREA"
    page.keyboard.press("Shift+Tab")  # back to the last answer's feedback buttons
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.get_by_role("dialog").get_by_text("Thank you for your feedback.").wait_for()
    assert services.journal.recent_feedback(1)[0]["rating"] == 1
    shot(page, "widget-keyboard")  # docs/widget.png is a copy of this one
    page.keyboard.press("Escape")
    assert not page.get_by_role("dialog").is_visible()
    assert widget_focus(page) == "launcher"


def test_phone_layout(site, browser):
    url, _ = site
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(url + "/")
    page.get_by_role("button", name="Ask the advisor").click()
    answer = ask(page, "Can Russian students still come on Erasmus exchange?")
    assert answer.locator("blockquote").count() >= 1
    assert answer.locator("blockquote mark").count() >= 1, "the key sentence of a longer quote is emphasised"
    box = page.get_by_role("dialog").bounding_box()
    assert box["width"] <= 375 and box["x"] >= 0
    overflow = page.evaluate("""() => { const log = document.querySelector('collab-advisor').shadowRoot.querySelector('.log');
        return log.scrollWidth - log.clientWidth; }""")
    assert overflow <= 0
    shot(page, "widget-phone")
    context.close()


def test_embedded_on_another_origin_with_cors(site, page):
    url, services = site
    html = (f'<!doctype html><html lang="nl"><head><title>Intranet</title></head><body><h1>Intranet</h1>'
            f'<script src="{url}/widget.js" data-title="Vraag het de adviseur" data-lang="nl" data-accent="#2e7d32" async></script></body></html>')
    origin, folder = services.pages["intranet"]
    (folder / "nl.html").write_text(html)
    page.goto(f"{origin}/nl.html")
    page.get_by_role("button", name="Stel een vraag").click()
    assert page.get_by_role("dialog", name="Vraag het de adviseur").is_visible()
    answer = ask(page, "Mag ik naar een congres in Rusland?")
    assert answer.get_by_role("button", name="Nuttig", exact=True).is_visible()
    accent = page.evaluate("""() => getComputedStyle(document.querySelector('collab-advisor').shadowRoot
        .querySelector('header')).backgroundColor""")
    assert accent == "rgb(46, 125, 50)"
    shot(page, "widget-cross-origin-nl")


def test_an_origin_not_on_the_allow_list_gets_no_answers(site, page):
    url, services = site
    origin, folder = services.pages["elsewhere"]
    (folder / "index.html").write_text(f'<!doctype html><html><body><script src="{url}/widget.js" async></script></body></html>')
    page.goto(f"{origin}/index.html")
    page.get_by_role("button", name="Ask the advisor").click()
    box = page.get_by_role("dialog").get_by_role("textbox")
    box.fill("Can I go to a conference in Russia?")
    box.press("Enter")
    page.get_by_role("dialog").get_by_text("could not answer just now").wait_for()
    assert page.get_by_role("dialog").locator("blockquote").count() == 0
    assert any("CORS" in problem for problem in page.problems)


def test_markup_in_a_document_stays_inert(xss_site, page):
    url, services = xss_site
    question = "Must visiting scholars from Russia register with the security office?"
    raw = services.advisor.ask(question).to_dict()
    assert "<script>" in raw["quotes"][0]["text"] and "onerror" in raw["quotes"][0]["text"], "the test document kept its markup"
    page.goto(url + "/")
    page.get_by_role("button", name="Ask the advisor").click()
    answer = ask(page, question)
    time.sleep(0.5)  # give any injected handler the chance to run
    assert page.evaluate("() => window.pwned") is None
    assert answer.locator("script, img, iframe").count() == 0
    assert "<script>window.pwned='script'</script>" in answer.locator("blockquote").inner_text()
    assert "<img src=x onerror=" in answer.locator("figcaption").inner_text()
    links = answer.locator("figcaption a")  # ingestion refuses javascript: links; quotes in a web link stay inert
    assert links.count() == 2
    for link in links.all():
        assert link.get_attribute("onmouseover") is None
        link.hover()
    assert page.evaluate("() => window.pwned") is None
    assert page.problems == []
    shot(page, "widget-inert-markup")
