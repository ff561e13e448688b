"""The /admin page over HTTP: the session cookie, CSRF, languages, and bad input that must never be a 500."""
from __future__ import annotations

import json
import re
import shutil

import httpx
import pytest

from bot.web import create_app

from .conftest import ROOT
from .test_web import TOKEN

DECLINED = "Les ponts sont donc coupés avec certaines universités ?"
OFF_TOPIC = "What language requirements do the applicants need to fulfil?"


@pytest.fixture
async def site(make_services):
    """(services, app, a client factory): each client is one browser with its own cookies."""
    services = make_services(admin_token=TOKEN)
    app = create_app(services)
    clients = []

    def browser() -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(client)
        return client

    async with browser() as asker:
        for question in (DECLINED, OFF_TOPIC, "thanks!"):
            assert (await asker.post("/api/ask", json={"question": question})).status_code == 200
    yield services, app, browser
    for client in clients:
        await client.aclose()


async def logged_in(browser) -> tuple[httpx.AsyncClient, str]:
    client = browser()
    response = await client.post("/admin/login", data={"token": TOKEN})
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    page = (await client.get("/admin")).text
    return client, re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def notes(page: str) -> list[str]:
    found = re.search(r'<div class="notes" role="status">(.*?)</div>', page, re.S)
    return re.findall(r"<p>(.*?)</p>", found.group(1)) if found else []


async def test_the_token_is_exchanged_for_a_strict_httponly_session_cookie(site):
    _, _, browser = site
    client = browser()
    page = await client.get("/admin?token=" + TOKEN)  # a token in an address logs nobody in
    assert page.status_code == 200 and 'name="token"' in page.text and "advisor_admin" not in page.headers.get("set-cookie", "")
    refused = await client.post("/admin/login", data={"token": "not-the-token"})
    assert refused.status_code == 403 and "not valid" in refused.text and "set-cookie" not in refused.headers
    response = await client.post("/admin/login", data={"token": TOKEN})
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie and TOKEN not in cookie
    page = await client.get("/admin")
    assert "Questions to review (2)" in page.text and DECLINED in page.text and "thanks!" not in page.text
    assert "<script" not in page.text and "<svg" in page.text and page.headers["cache-control"] == "no-store"


async def test_forged_missing_or_stale_csrf_tokens_change_nothing(site):
    services, _, browser = site
    client, csrf = await logged_in(browser)
    entry = services.review.entries()[0].id
    for form in ({"entry": str(entry), "decision": "dismiss"}, {"entry": str(entry), "decision": "dismiss", "csrf": "forged"}):
        response = await client.post("/admin/page/decide", data=form)
        assert response.status_code == 403 and "did not come from this page" in response.text
    other, _ = await logged_in(browser)  # another admin's session: its token is not this one's
    assert (await other.post("/admin/page/decide", data={"entry": str(entry), "decision": "dismiss", "csrf": csrf})).status_code == 403
    assert services.review.get(entry).status == "open"


async def test_an_expired_or_missing_session_asks_to_log_in_again(site):
    services, app, browser = site
    client, csrf = await logged_in(browser)
    for session in app.state.admin_sessions._by_id.values():
        session.expires = 0.0
    entry = services.review.entries()[0].id
    response = await client.post("/admin/page/decide", data={"entry": str(entry), "decision": "dismiss", "csrf": csrf})
    assert response.status_code == 401 and "session has expired" in response.text
    assert (await browser().post("/admin/page/publish", data={"csrf": csrf})).status_code == 401
    assert services.review.get(entry).status == "open"


async def test_bad_decisions_are_named_never_a_500(site):
    services, _, browser = site
    alice, alice_csrf = await logged_in(browser)
    bob, bob_csrf = await logged_in(browser)
    entry = next(e for e in services.review.entries() if e.question == DECLINED)
    passage = entry.candidates[0].passage_id

    async def decide(client, csrf, **form) -> list[str]:
        response = await client.post("/admin/page/decide", data={"csrf": csrf} | form)
        assert response.status_code == 303, response.text
        return notes((await client.get("/admin")).text)

    assert "no review entry 4242" in (await decide(alice, alice_csrf, entry="4242", decision="dismiss"))[0]
    assert "is not an entry number" in (await decide(alice, alice_csrf, entry="x'; DROP", decision="dismiss"))[0]
    said = (await decide(alice, alice_csrf, entry=str(entry.id), decision="attach", passage="a1b2c3-from-another-version"))[0]
    assert "is not in the serving knowledge version" in said
    assert "Unknown decision" in (await decide(alice, alice_csrf, entry=str(entry.id), decision="publish-now"))[0]
    assert "It takes effect when you publish" in (await decide(alice, alice_csrf, entry=str(entry.id), decision="attach",
                                                               passage=passage))[0]
    assert "already decided so" in (await decide(alice, alice_csrf, entry=str(entry.id), decision="attach", passage=passage))[0]
    assert "already decided: attach" in (await decide(bob, bob_csrf, entry=str(entry.id), decision="dismiss"))[0]
    decided = services.review.get(entry.id)
    assert (decided.status, decided.passage_id, decided.decided_by) == ("pending", passage, "web:admin")


async def test_the_page_reads_in_the_browsers_language_and_can_be_switched(site):
    _, _, browser = site
    client, _ = await logged_in(browser)
    dutch = await client.get("/admin", headers={"accept-language": "nl-BE,nl;q=0.9,en;q=0.5"})
    assert '<html lang="nl">' in dutch.text and "Te beoordelen vragen" in dutch.text
    french = await client.get("/admin?lang=fr", headers={"accept-language": "nl-BE"})
    assert '<html lang="fr">' in french.text and "Questions à examiner" in french.text and "Ce passage y répond" in french.text
    kept = await client.get("/admin", headers={"accept-language": "nl-BE"})
    assert '<html lang="fr">' in kept.text  # the choice stays
    english = await client.get("/admin?lang=en")
    assert "Share declined" in english.text and "Questions per day" in english.text


async def test_an_entry_reads_in_the_askers_language_and_a_decision_is_said_where_it_was_taken(site):
    services, _, browser = site
    client, csrf = await logged_in(browser)
    entry = next(e for e in services.review.entries() if e.question == DECLINED)
    candidate = services.advisor.passage(entry.candidates[0].passage_id)
    page = (await client.get("/admin?lang=en")).text
    article = re.search(rf'<article class="entry" id="entry-{entry.id}">(.*?)</article>', page, re.S).group(1)
    french = candidate.translations["fr"]
    assert '<blockquote class="translation" lang="fr">' in article and french[:40].replace("'", "&#x27;") in article
    assert f"<code>{candidate.id}</code>" in article  # the id `advisor review attach` takes

    following = next(e for e in services.review.entries() if e.id != entry.id)
    response = await client.post("/admin/page/decide", data={"csrf": csrf, "entry": str(entry.id), "decision": "attach",
                                                             "passage": candidate.id})
    assert response.headers["location"] == f"/admin#entry-{following.id}"  # on to the next undecided entry
    page = (await client.get("/admin?lang=en")).text
    landed = re.search(rf'<article class="entry" id="entry-{following.id}">(.*?)</article>', page, re.S).group(1)
    opening = candidate.text[:60].replace("'", "&#x27;").replace('"', "&quot;")
    said = notes(landed)  # seen where the page opens, naming the passage by its document and first words
    assert said and "It takes effect when you publish" in said[0] and candidate.document in said[0] and opening in said[0]
    review = re.search(r'<section id="review".*?</section>', page, re.S).group(0)
    waiting = re.search(r"<h3>Decided, waiting to be published</h3><ul>(.*?)</ul>", review, re.S).group(1)
    assert candidate.document in waiting and opening in waiting  # which passage, not only its id


async def test_a_long_queue_is_paged_and_filtered_by_language_and_a_decision_lands_on_the_next_entry(site):
    services, _, browser = site
    traffic = [json.loads(line) for line in (ROOT / "eval" / "traffic.jsonl").read_text().splitlines()]
    asked = [q for language in ("en", "fr", "nl") for q in [q for q in traffic if q["lang"] == language][:10]]
    for question in asked:
        services.review.enter(question["question"], question["lang"], "weak")
    queue = services.review.entries()
    assert len(queue) == 32
    client, csrf = await logged_in(browser)

    def articles(page: str) -> list[int]:
        return [int(n) for n in re.findall(r'<article class="entry" id="entry-(\d+)">', page)]

    first, second = (await client.get("/admin?lang=en")).text, (await client.get("/admin?page=2")).text
    assert articles(first) == [e.id for e in queue[:25]] and articles(second) == [e.id for e in queue[25:]]
    assert "Questions to review (32)" in first and '<a href="/admin?page=2#review">2</a>' in first
    french = (await client.get("/admin?asked=fr")).text
    assert articles(french) == [e.id for e in queue if e.language == "fr"] and "Ce passage y répond" not in french
    assert f'<a href="/admin?asked=fr#review" aria-current="page">fr ({len(articles(french))})</a>' in french
    assert "Ce passage y répond" in (await client.get("/admin?lang=fr")).text  # ?lang= still switches the page's language

    async def dismiss(entry: int, **view: str) -> str:
        form = {"csrf": csrf, "entry": str(entry), "decision": "dismiss"} | view
        return (await client.post("/admin/page/decide", data=form)).headers["location"]

    assert await dismiss(queue[24].id, page="1") == f"/admin#entry-{queue[25].id}"  # the next one moves up to page 1
    assert await dismiss(queue[26].id, page="2") == f"/admin?page=2#entry-{queue[27].id}"
    fr = [e.id for e in queue if e.language == "fr"]
    assert await dismiss(fr[0], asked="fr") == f"/admin?asked=fr#entry-{fr[1]}"
    assert await dismiss(queue[-1].id, page="2") == f"/admin?page=2#entry-{queue[-2].id}"  # the last: the one before
    assert 'name="page" value="2"' in (await client.get("/admin?page=2")).text  # its forms keep the page


@pytest.mark.slow
async def test_a_rollback_on_the_page_says_which_files_it_moved_out_of_the_knowledge_folder_and_where(make_services, tmp_path):
    knowledge = shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    services = make_services(admin_token=TOKEN, knowledge_dir=knowledge)
    memo = ("---\ntitle: Memo\nissuer: Test\ndate: 2026-11-01\n---\n# Memo\n\n"
            "Guest lecturers from Russia register with the faculty secretariat before their visit.\n")
    assert services.admin.add_document("memo.md", memo.encode(), "web:admin").published
    transport = httpx.ASGITransport(app=create_app(services), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client, csrf = await logged_in(lambda: client)
        response = await client.post("/admin/page/rollback", data={"csrf": csrf, "version": ""})
        assert response.status_code == 303, response.text
        said = notes((await client.get("/admin")).text)
    trash = services.admin.store.audit_entries()[-1]["trash"]
    assert said == ["Now serving version v0001.", f"Moved out of the knowledge folder into {trash}: memo.md."]
    assert not (knowledge / "memo.md").exists()
