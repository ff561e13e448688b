"""The details a reader notices, in headless Chromium against the real server: a vote kept while the server is down,
the newest message and the draft after a reload, the counter, labels of links and translations, a comment with a
thumbs-down, a page on an origin not allowed, and the API page with the network cut off."""
from __future__ import annotations

import logging
import shutil

import pytest

from . import test_widget_browser as browser_tests
from .conftest import free_port, make_settings
from .test_widget_browser import serving, start_services

site, page = browser_tests.site, browser_tests.page  # the same fixtures, for this module

pytestmark = pytest.mark.browser
IN_SHADOW = "(selector) => Array.from(document.querySelector('collab-advisor').shadowRoot.querySelectorAll(selector))"


def ask(page, question: str):
    """Type a question, press Enter, and return the new answer once it is shown (with its feedback buttons)."""
    dialog = page.get_by_role("dialog")
    answers = dialog.locator(".msg.bot").filter(has=page.locator(".fb"))
    before = answers.count()
    box = dialog.get_by_role("textbox", name="Your question")
    box.fill(question)
    box.press("Enter")
    answers.nth(before).wait_for()
    return answers.nth(before)


def open_widget(page, url: str) -> None:
    page.goto(url + "/")
    page.get_by_role("button", name="Ask the advisor").click()


def test_a_vote_made_while_the_server_is_down_is_kept_shown_pending_and_sent_when_it_is_back(built_store, tmp_path, embedder, page):
    shutil.copytree(built_store, tmp_path / "store")
    services = start_services(make_settings(tmp_path), embedder)
    port = free_port()
    with serving(services, port) as url:
        open_widget(page, url)
        answer = ask(page, "Can I keep working with my Russian co-author?")
    # The server is down now; the reader votes.
    answer.get_by_role("button", name="Not helpful", exact=True).click()
    pending = answer.get_by_text("Not sent yet: the advisor cannot be reached.")
    pending.wait_for()
    assert answer.get_by_role("button", name="Not helpful", exact=True).get_attribute("aria-pressed") == "true"
    assert answer.locator(".fb.pending").count() == 1  # drawn as not sent: a dashed outline, not a filled button
    assert services.journal.recent_feedback(1) == []
    with serving(services, port):  # back on the same address: a later try delivers the vote, once
        answer.get_by_text("Thank you for your feedback.").wait_for(timeout=60_000)
        assert answer.locator(".fb.pending").count() == 0
        page.reload()  # delivered means no longer pending: a reload sends nothing again (the panel opens by itself)
        page.get_by_role("dialog").locator(".fb").last.wait_for()
        page.wait_for_timeout(500)
    votes = services.journal.recent_feedback(5)
    assert [(v["rating"], v["question"]) for v in votes] == [(-1, "Can I keep working with my Russian co-author?")]
    services.journal.close()


def test_after_a_reload_the_widget_opens_at_the_newest_message_with_the_unsent_draft(site, page):
    url, _ = site
    open_widget(page, url)
    for question in ("Can I attend a conference in Russia?", "Can Russian students still come on Erasmus exchange?",
                     "Does export control apply when I share research results with a Russian colleague?"):
        ask(page, question)
    box = page.get_by_role("dialog").get_by_role("textbox", name="Your question")
    box.fill("And what about a visiting researcher from St Petersburg")
    page.reload()  # it was open: it opens again by itself
    assert page.get_by_role("dialog").get_by_role("textbox", name="Your question").input_value() == \
        "And what about a visiting researcher from St Petersburg"
    where = page.evaluate(f"""() => {{ const log = ({IN_SHADOW})('.log')[0]; const newest = log.lastElementChild;
        return {{top: log.scrollTop, height: log.clientHeight, start: newest.offsetTop}}; }}""")
    assert where["top"] > 0 and where["top"] <= where["start"] < where["top"] + where["height"], where
    box = page.get_by_role("dialog").get_by_role("textbox", name="Your question")
    box.fill("")
    box.press("Enter")
    page.reload()  # an emptied box leaves no draft behind
    assert page.get_by_role("dialog").get_by_role("textbox", name="Your question").input_value() == ""


def test_the_counter_and_the_limit_count_what_is_sent(site, page):
    url, _ = site
    open_widget(page, url)
    dialog = page.get_by_role("dialog")
    box = dialog.get_by_role("textbox", name="Your question")
    box.fill("word " * 200 + "\n")  # 1,000 characters and a line break; sent trimmed, it is 999
    assert dialog.locator(".count").inner_text() == "999 / 1000 characters"
    box.fill("x" * 1000)
    assert dialog.locator(".count").inner_text() == "1000 / 1000 characters"
    assert "over" not in dialog.locator(".count").get_attribute("class")
    box.fill("x" * 1001)
    box.press("Enter")
    assert dialog.get_by_role("alert").inner_text() == "Your question is 1001 characters long; the limit is 1000. Please shorten it."
    assert dialog.locator(".count").inner_text() == "1001 / 1000 characters"


def test_a_summarys_link_says_it_leads_to_a_source_of_the_summary(site, page):
    url, _ = site
    open_widget(page, url)
    answer = ask(page, "Does export control apply when I share research results with a Russian colleague?")
    captions = answer.locator("figcaption")
    seen = set()
    for i in range(captions.count()):
        caption = captions.nth(i)
        title = caption.locator("cite").inner_text()
        official = caption.locator(".badge").inner_text() == "Official text"
        name = f"Read the source: {title}" if official else f"A source of this summary: {title}"
        assert caption.get_by_role("link", name=name).count() == 1, name
        seen.add(official)
    assert False in seen, "the question was meant to quote a summary"


def test_a_french_quote_of_one_sentence_gets_that_sentences_translation(site, page):
    url, services = site
    page.goto(url + "/?lang=fr")
    page.get_by_role("button", name="Poser une question").click()
    question = "Les chercheurs peuvent-ils encore collaborer individuellement avec des collègues russes ?"
    expected = services.advisor.ask(question)
    answer = ask_in(page, question, "Votre question")
    boxes = answer.locator(".tr")
    for quote, box in zip(expected.quotes, boxes.all()):
        label = box.locator(".label").inner_text()
        if quote.translation_scope == "passage":
            assert label.startswith("Traduction non officielle de tout le paragraphe"), label
        else:
            assert label == "Traduction non officielle (FR)"
        assert box.locator("p").nth(1).inner_text() == quote.translation
    assert any(q.translation_scope == "quote" and q.translation != services.advisor.passage(q.passage_id).translations["fr"]
               for q in expected.quotes), "no quote of this answer is a part of its passage"


def ask_in(page, question: str, box_name: str):
    dialog = page.get_by_role("dialog")
    answers = dialog.locator(".msg.bot").filter(has=page.locator(".fb"))
    before = answers.count()
    box = dialog.get_by_role("textbox", name=box_name)
    box.fill(question)
    box.press("Enter")
    answers.nth(before).wait_for()
    return answers.nth(before)


def test_a_thumbs_down_takes_an_optional_comment(site, page):
    url, services = site
    open_widget(page, url)
    answer = ask(page, "Can Russian students still come on Erasmus exchange?")
    answer.get_by_role("button", name="Not helpful", exact=True).click()
    comment = page.get_by_role("dialog").get_by_role("textbox", name="What was missing or wrong? (optional)")
    comment.fill("It does not say whether running agreements end.")
    page.get_by_role("dialog").get_by_role("button", name="Send comment").click()
    page.get_by_role("dialog").locator(".comment").get_by_text("Thank you for your feedback.").wait_for()
    rated = services.journal.recent_feedback(1)[0]
    assert rated["rating"] == -1 and rated["comment"] == "It does not say whether running agreements end."
    assert rated["quotes"] and rated["quotes"][0] in answer.locator("blockquote").first.inner_text()


def test_an_origin_not_allowed_is_told_what_to_set_in_the_console_and_the_log(site, page, caplog):
    url, services = site
    origin, folder = services.pages["elsewhere"]
    (folder / "details.html").write_text(f'<!doctype html><html><body><script src="{url}/widget.js" async></script></body></html>')
    caplog.set_level(logging.WARNING, logger="advisor.web")
    page.goto(f"{origin}/details.html")
    page.get_by_role("button", name="Ask the advisor").click()
    box = page.get_by_role("dialog").get_by_role("textbox", name="Your question")
    box.fill("Can I go to a conference in Russia?")
    box.press("Enter")
    page.get_by_role("dialog").get_by_text("could not answer just now").wait_for()
    told = [p for p in page.problems if "ADVISOR_CORS_ORIGINS" in p]
    assert told and f"ADVISOR_CORS_ORIGINS={origin}" in told[0] and url in told[0]
    logged = [r.getMessage() for r in caplog.records if "ADVISOR_CORS_ORIGINS" in r.getMessage()]
    assert logged and origin in logged[0] and "/api/ask" in logged[0]


def test_the_api_page_shows_the_endpoints_with_the_network_cut_off(site, browser):
    url, _ = site
    context = browser.new_context()
    elsewhere: list[str] = []

    def only_the_advisor(route) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_advisor)
    page = context.new_page()
    page.goto(url + "/docs")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    for endpoint in ("POST /api/ask", "POST /api/feedback", "GET /api/sources", "GET /healthz", "GET /readyz"):
        assert endpoint in headings, headings
    ask_section = page.locator("section", has=page.get_by_role("heading", name="POST /api/ask"))
    assert ask_section.get_by_role("cell", name="question", exact=True).is_visible()
    assert page.get_by_role("link", name="/openapi.json").is_visible()
    assert elsewhere == []
    context.close()
