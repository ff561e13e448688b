"""The widget as a conversation, in headless Chromium: history, limits, languages, keyboard, names, errors, themes."""
from __future__ import annotations

import re
import shutil

import pytest

from . import test_widget_browser as browser_tests
from .conftest import free_port, make_settings
from .test_widget_browser import ARTIFACTS, serving, shot, start_services, widget_focus

site, page = browser_tests.site, browser_tests.page  # the same fixtures, for this module

pytestmark = pytest.mark.browser
CONFERENCE = "Can I attend a conference in Russia?"
IN_SHADOW = "(selector) => Array.from(document.querySelector('collab-advisor').shadowRoot.querySelectorAll(selector))"


def ask(page, question: str):
    """Type a question, press Enter, and return the new answer once it is shown (with its feedback buttons)."""
    dialog = page.get_by_role("dialog")
    answers = dialog.locator(".msg.bot").filter(has=page.locator(".fb"))
    before = answers.count()
    box = dialog.get_by_role("textbox")
    box.fill(question)
    box.press("Enter")
    answers.nth(before).wait_for()
    return answers.nth(before)


def open_widget(page, url: str, path: str = "/") -> None:
    page.goto(url + path)
    page.get_by_role("button", name="Ask the advisor").click()


def test_the_conversation_survives_a_reload_until_a_new_one_is_started(site, page):
    url, _ = site
    open_widget(page, url)
    first = ask(page, CONFERENCE)
    assert first.locator(".ctx").count() == 0
    follow_up = ask(page, "Is that the same in Wallonia?")
    assert follow_up.locator(".ctx").inner_text().endswith(f"“{CONFERENCE}”")
    page.reload()  # the panel was open: it opens again by itself, the launcher hidden
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible() and page.get_by_role("button", name="Ask the advisor").is_hidden()
    asked = [text.replace("You:", "", 1).strip() for text in dialog.locator(".msg.user").all_inner_texts()]
    assert asked == [CONFERENCE, "Is that the same in Wallonia?"]
    assert dialog.locator("blockquote").count() >= 2 and dialog.get_by_role("group", name="Suggested questions").is_hidden()
    again = ask(page, "and for Flanders?")  # the server still holds the conversation the tab remembers
    assert again.locator(".ctx").count() == 1
    dialog.get_by_role("button", name="New conversation").click()
    assert dialog.locator(".msg.user").count() == 0 and dialog.get_by_role("group", name="Suggested questions").is_visible()
    alone = ask(page, "Is that the same in Wallonia?")
    assert alone.locator(".ctx").count() == 0
    dialog.get_by_role("button", name="Close").click()
    page.reload()  # closed before the reload: it stays closed until asked
    assert dialog.is_hidden()
    page.get_by_role("button", name="Ask the advisor").click()
    assert dialog.locator(".msg.user").count() == 1


def test_a_new_subject_is_read_as_such_and_a_follow_up_survives_a_reload_and_a_server_restart(
        built_store, tmp_path, embedder, browser):
    """Issue 23 in the widget, and issue 27: a restarted server no longer knows the conversation, the tab still does."""
    shutil.copytree(built_store, tmp_path / "store")
    settings, port = make_settings(tmp_path), free_port()
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    page = context.new_page()
    services = start_services(settings, embedder)
    with serving(services, port) as url:
        open_widget(page, url)
        ask(page, "Can I host a visiting researcher from Russia in my group?")
        phd = ask(page, "And what about PhD students?")
        assert phd.locator(".ctx").inner_text() == "Reading this as: “PhD students”, with “Russia” from your earlier question"
        assert "PhD" in phd.locator("blockquote").first.inner_text()
        page.reload()
        assert "Reading this as: “PhD students”" in page.get_by_role("dialog").locator(".ctx").first.inner_text()
    services.journal.close()

    restarted = start_services(settings, embedder)  # a fresh process: it knows no conversation
    with serving(restarted, port) as url:
        page.reload()
        after = ask(page, "Is that the same in Wallonia?")
        assert after.locator(".ctx").inner_text().startswith("Reading this as a follow-up to your earlier question: “And what about PhD students?")
        assert restarted.conversations.is_open(page.evaluate(
            "() => JSON.parse(Object.entries(sessionStorage).find(([k]) => k.startsWith('collab-advisor:'))[1]).conversation"))
    restarted.journal.close()
    context.close()


def test_a_counter_near_the_limit_and_an_over_long_question_refused_whole(site, page):
    url, services = site
    limit = services.settings.max_question_chars
    open_widget(page, url)
    box = page.get_by_role("dialog").get_by_role("textbox")
    counter = page.get_by_role("dialog").locator(".count")
    box.fill("Can I travel? " * 10)
    assert counter.is_hidden()
    near = ("Can I keep working with my Russian co-author on our joint paper? " * 20)[: limit - 50]
    box.fill(near)
    assert counter.is_visible() and counter.inner_text() == f"{limit - 50} / {limit} characters"
    questions_before = services.journal.stats()["questions"]
    too_long = near + "x" * 80
    box.fill(too_long)
    assert "over" in counter.get_attribute("class")
    box.press("Enter")
    alert = page.get_by_role("dialog").get_by_role("alert")
    assert alert.inner_text() == f"Your question is {limit + 30} characters long; the limit is {limit}. Please shorten it."
    assert box.input_value() == too_long and page.get_by_role("dialog").locator(".msg.user").count() == 0
    assert services.journal.stats()["questions"] == questions_before  # nothing was sent
    box.fill(near)
    assert page.get_by_role("dialog").locator(".alert").is_hidden()  # shortened: the refusal goes
    shot(page, "widget-counter")


def test_labels_follow_the_language_of_the_answer(site, page):
    url, _ = site
    open_widget(page, url)
    answer = ask(page, "Mag ik nog naar een wetenschappelijk congres in Rusland gaan?")
    dialog = page.get_by_role("dialog")
    assert answer.get_by_role("button", name="Dit antwoord met de bronnen kopiëren").is_visible()
    assert dialog.get_by_role("button", name="Verzenden").is_visible()
    assert dialog.get_by_role("button", name="Nieuw gesprek").is_visible()
    assert dialog.get_by_role("textbox", name="Uw vraag").get_attribute("placeholder") == "Typ uw vraag…"
    names = [a.get_attribute("aria-label") for a in answer.locator("figcaption a").all()]
    assert names and all(n.startswith(("In context lezen: ", "Bron lezen: ", "Een bron van deze samenvatting: ")) for n in names)
    assert "Ask the advisor" not in dialog.inner_text() and "Did this help?" not in dialog.inner_text()
    answer = ask(page, "Can Russian students still enrol at a Belgian university?")
    assert dialog.get_by_role("button", name="Send").is_visible()


def test_keyboard_only_open_ask_read_copy_close_without_leaving_the_panel(site, browser):
    url, _ = site
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page = context.new_page()
    page.goto(url + "/")
    presses = 0
    while widget_focus(page) != "launcher" and presses < 5:
        page.keyboard.press("Tab")
        presses += 1
    assert widget_focus(page) == "launcher" and presses <= 2, "the launcher is among the first stops (after skip link)"
    page.keyboard.press("Enter")
    assert widget_focus(page) == "TEXTAREA"
    page.keyboard.type("Can I keep working with my Russian co-author?")
    page.keyboard.press("Enter")
    answer = page.get_by_role("dialog").locator(".msg.bot").filter(has=page.locator(".fb")).last
    answer.wait_for()
    seen = []
    for _ in range(40):  # round and round the panel: focus never reaches the page behind it
        page.keyboard.press("Tab")
        focused = widget_focus(page)
        assert focused is not None, f"focus left the panel after {seen}"
        seen.append(focused)
        if focused == "tool":
            break
    assert seen[-1] == "tool" and "src" in seen, seen  # read: the source links are on the way
    page.keyboard.press("Enter")
    answer.get_by_role("button", name="Copy this answer with its sources").get_by_text("Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    quote = answer.locator("blockquote").first.inner_text().strip()
    title = answer.locator("figcaption cite").first.inner_text()
    assert quote[:80] in copied and title in copied and "not legal advice" in copied
    for _ in range(30):
        page.keyboard.press("Shift+Tab")
        assert widget_focus(page) is not None
    page.keyboard.press("Escape")
    assert not page.get_by_role("dialog").is_visible() and widget_focus(page) == "launcher"
    context.close()


def test_every_button_and_link_has_a_name_and_the_landmarks_have_roles(site, page):
    url, _ = site
    open_widget(page, url)
    ask(page, "Can Russian students still come on Erasmus exchange?")
    unnamed = page.evaluate(f"""() => ({IN_SHADOW})('button, a, textarea, [role=dialog], [role=log], [role=group]').filter(e => e.getClientRects().length)
        .filter(e => !((e.getAttribute('aria-label') || '').trim() || (e.textContent || '').trim() || e.title ||
                       (e.getAttribute('aria-labelledby') && e.getRootNode().getElementById(e.getAttribute('aria-labelledby')))))
        .map(e => e.outerHTML.slice(0, 120))""")
    assert unnamed == []
    links = page.evaluate(f"() => ({IN_SHADOW})('a').map(a => a.getAttribute('aria-label'))")
    assert links and all(re.match(r"^(Read in context|Read the source): \S", n) for n in links)
    assert len(set(links)) >= 2  # the viewer link and the public link of a document are told apart
    dialog = page.get_by_role("dialog", name="Collaboration Advisor")
    assert dialog.get_by_role("log").get_attribute("aria-live") == "polite"
    for name in ("New conversation", "Close", "Send", "Helpful", "Not helpful", "Copy this answer with its sources"):
        assert dialog.get_by_role("button", name=name, exact=True).first.is_visible(), name


def test_an_error_keeps_the_question_and_try_again_asks_it(site, page):
    url, _ = site
    open_widget(page, url)
    release = []
    page.route("**/api/ask", lambda route: release.append(route))  # held: the waiting state shows meanwhile
    box = page.get_by_role("dialog").get_by_role("textbox")
    box.fill(CONFERENCE)
    box.press("Enter")
    status = page.get_by_role("dialog").get_by_role("status")
    status.wait_for()
    assert status.inner_text().strip() == "Looking in the guidance…"
    assert page.evaluate(f"() => getComputedStyle(({IN_SHADOW})('.dots i')[0]).animationName") == "b"
    while not release:
        page.wait_for_timeout(50)
    release.pop().abort()
    retry = page.get_by_role("dialog").get_by_role("button", name="Try again")
    retry.wait_for()
    assert box.input_value() == CONFERENCE and "could not answer just now" in page.get_by_role("dialog").inner_text()
    page.unroute("**/api/ask")
    retry.click()
    answer = page.get_by_role("dialog").locator(".msg.bot").filter(has=page.locator(".fb")).last
    answer.wait_for()
    assert answer.locator("blockquote").count() >= 1 and retry.count() == 0
    assert page.get_by_role("dialog").locator(".msg.user").count() == 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_light_and_dark_screenshots(site, browser, scheme):
    url, _ = site
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-GB", color_scheme=scheme)
    page = context.new_page()
    open_widget(page, url)
    ask(page, CONFERENCE)
    ask(page, "Is that the same in Wallonia?")
    page.get_by_role("dialog").locator(".msg.user").last.evaluate("e => e.scrollIntoView()")  # the follow-up and its answer
    background = page.evaluate(f"() => getComputedStyle(({IN_SHADOW})('.log')[0]).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert (sum(channels) < 150) == (scheme == "dark"), background
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"widget-{scheme}.png"))  # docs/widget-light.png and widget-dark.png
    context.close()
