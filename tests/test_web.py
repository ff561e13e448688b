"""The web API over a real store and the real model: answers, bad input, CORS, limits and admin."""
from __future__ import annotations

import errno
import html
import json
import re
import shutil
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from advisor.settings import Settings
from advisor.store import KnowledgeStore
from bot.ratelimit import RateLimiter
from bot.web import create_app
from bot.web.admin import admin_tokens

from .conftest import KNOWLEDGE, make_settings

ANSWER_KEYS = {"question", "answered", "quotes", "text", "language", "intro", "footer", "version", "question_id", "small_talk",
               "feedback_token", "context", "conversation", "summary", "summary_status", "topic", "known_gap"}
QUOTE_KEYS = {"text", "document", "title", "issuer", "date", "url", "passage_id", "score", "authority", "highlight",
              "translation", "translation_language", "translation_note", "translation_scope", "view_url"}
TOKEN = "s3cret-token-for-the-tests"


def client_for(services, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(services), client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(reading_services):
    """A fresh app (its own rate limits) over the module's shared Runtime: for tests that only ask and read."""
    async with client_for(reading_services) as c:
        yield c


def assert_plain_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    return body["error"]


# Asking -----------------------------------------------------------------------------------------
async def test_ask_returns_the_answer_object_with_a_question_id(client):
    response = await client.post("/api/ask", json={"question": "Can I keep working with my Russian co-author?"})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == ANSWER_KEYS
    assert answer["answered"] and answer["quotes"] and isinstance(answer["question_id"], int)
    quote = answer["quotes"][0]
    assert set(quote) == QUOTE_KEYS
    assert quote["title"] and quote["url"].startswith("http") and quote["authority"] in ("official", "summary")
    if quote["highlight"]:
        start, end = quote["highlight"]
        assert 0 <= start < end <= len(quote["text"])


async def test_ask_in_french_answers_in_french(client):
    response = await client.post("/api/ask", json={"question": "Puis-je participer à une conférence en Russie ?", "lang": "fr"})
    assert response.status_code == 200
    assert response.json()["language"] == "fr"


async def test_a_question_the_guidance_does_not_cover_gives_the_contact_line(client):
    response = await client.post("/api/ask", json={"question": "What is the recipe for a chocolate cake?"})
    answer = response.json()
    assert response.status_code == 200 and not answer["answered"] and answer["quotes"] == []
    assert "research office" in answer["footer"]


@pytest.mark.parametrize("kwargs, status, says", [
    ({"json": {"question": ""}}, 400, "question"),
    ({"json": {"question": "   \n "}}, 400, "question"),
    ({"json": {"question": "Can I travel? " * 100}}, 400, "characters"),
    ({"json": {}}, 422, "question"),
    ({"json": {"question": 42}}, 422, "question"),
    ({"json": {"question": None}}, 422, "question"),
    ({"json": {"question": "Can I travel?", "lang": "de"}}, 422, "lang"),
    ({"json": ["Can I travel?"]}, 422, ""),
    ({"content": b"null", "headers": {"Content-Type": "application/json"}}, 422, ""),
    ({"content": b"", "headers": {"Content-Type": "application/json"}}, 422, "JSON"),
    ({"content": b"{question: 'x'", "headers": {"Content-Type": "application/json"}}, 400, "JSON"),
    ({"content": b"\xff\xfe\x00garbage", "headers": {"Content-Type": "application/json"}}, 400, ""),
    ({"content": b'{"question": "Can I travel?"}', "headers": {"Content-Type": "text/plain"}}, 415, "application/json"),
    ({"content": b'{"question": "Can I travel?"}'}, 415, "application/json"),
    ({"data": {"question": "Can I travel?"}}, 415, "application/json"),
    ({"json": {"question": "x" * 20_000}}, 413, "limit"),
], ids=["empty", "blank", "over-long", "missing", "number", "null", "bad-lang", "array", "json-null", "no-body",
        "not-json", "not-utf8", "text-plain", "no-content-type", "form", "oversized"])
async def test_bad_input_gets_a_plain_4xx(client, kwargs, status, says):
    message = assert_plain_error(await client.post("/api/ask", **kwargs), status)
    assert says.lower() in message.lower()


async def test_an_oversized_chunked_body_is_refused_while_streaming(client):
    chunks_sent = 0

    async def body():
        nonlocal chunks_sent
        for _ in range(1000):  # would be 1 MB; the limit is 16 KiB
            chunks_sent += 1
            yield b" " * 1024

    response = await client.post("/api/ask", content=body(), headers={"Content-Type": "application/json"})
    assert_plain_error(response, 413)
    assert chunks_sent < 100


async def test_unknown_paths_and_methods_answer_json(client):
    assert_plain_error(await client.get("/api/nothing"), 404)
    assert_plain_error(await client.get("/api/ask"), 405)


async def test_sources_lists_the_serving_documents(client):
    response = await client.get("/api/sources")
    assert response.status_code == 200
    titles = [d["title"] for d in response.json()]
    assert len(titles) >= 5 and all(titles)


# Feedback -------------------------------------------------------------------------------------
async def test_feedback_is_stored_against_the_question(make_services):
    services = make_services()
    async with client_for(services) as client:
        answer = (await client.post("/api/ask", json={"question": "Can I attend a conference in Russia?"})).json()
        response = await client.post("/api/feedback", json={"question_id": answer["question_id"], "rating": -1,
                                                             "feedback_token": answer["feedback_token"]})
        assert response.status_code == 200 and response.json() == {"ok": True}
    stored = services.journal.recent_feedback()
    assert stored[0]["rating"] == -1 and stored[0]["channel"] == "web"
    assert stored[0]["question"] == "Can I attend a conference in Russia?"


async def test_feedback_needs_the_answers_token_and_counts_once(make_services):
    services = make_services()
    async with client_for(services) as client:
        mine = (await client.post("/api/ask", json={"question": "Can I attend a conference in Russia?"})).json()
        other = (await client.post("/api/ask", json={"question": "Can I keep my Russian co-author?"})).json()
        forged = {"question_id": other["question_id"], "rating": -1, "feedback_token": mine["feedback_token"]}
        assert_plain_error(await client.post("/api/feedback", json=forged), 404)
        for rating in (1, -1, -1, 1, -1):
            vote = {"question_id": mine["question_id"], "rating": rating, "feedback_token": mine["feedback_token"]}
            assert (await client.post("/api/feedback", json=vote)).status_code == 200
    stored = services.journal.recent_feedback()
    assert len(stored) == 1 and stored[0]["rating"] == -1  # the last vote replaced the others


async def test_the_log_tells_small_talk_and_other_languages_from_questions_left_uncovered(make_services):
    services = make_services()
    async with client_for(services) as client:
        for said in ("Thanks!", "hello", "🙂", "https://www.vlir.be/", "What is the recipe for a chocolate cake?",
                     "Darf ich weiterhin mit meinen russischen Kollegen zusammenarbeiten?",
                     "Могу ли я продолжать сотрудничество с российскими коллегами?"):
            assert (await client.post("/api/ask", json={"question": said})).status_code == 200
    figures = services.journal.stats()
    assert figures["small_talk"] == 4 and figures["questions"] == 3 and figures["not_covered"] == 3
    gaps = {g["question"]: g["language"] for g in services.journal.gaps()}
    assert gaps == {"What is the recipe for a chocolate cake?": "en",
                    "Darf ich weiterhin mit meinen russischen Kollegen zusammenarbeiten?": "de",
                    "Могу ли я продолжать сотрудничество с российскими коллегами?": "ru"}


async def test_a_thumbs_down_keeps_its_comment_and_the_quotes_it_rated(make_services):
    services = make_services()
    async with client_for(services) as client:
        answer = (await client.post("/api/ask", json={"question": "Can I keep working with my Russian co-author?"})).json()
        vote = {"question_id": answer["question_id"], "feedback_token": answer["feedback_token"], "rating": -1}
        assert (await client.post("/api/feedback", json=vote)).status_code == 200
        assert (await client.post("/api/feedback", json=vote | {"comment": "  Nothing on joint patents.  "})).status_code == 200
        assert_plain_error(await client.post("/api/feedback", json=vote | {"comment": "x" * 1001}), 422)
    [rated] = services.journal.recent_feedback()
    assert rated["comment"] == "Nothing on joint patents." and rated["quotes"] == [q["text"] for q in answer["quotes"]]


async def test_a_lone_surrogate_in_a_question_gets_a_plain_reply(client):
    body = json.dumps({"question": "Can I \ud800 attend a conference in Russia?"}).encode()  # JSON may carry one
    response = await client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    reply = response.json()  # the surrogate cannot reach the models: it is read as "?", and the rest is answered
    assert reply["question"] == "Can I ? attend a conference in Russia?" and reply["answered"] and reply["quotes"]


async def test_answers_go_on_when_the_log_cannot_be_written(make_services):
    services = make_services()
    services.journal.close()  # as good as a full disk or a read-only store: every write fails
    async with client_for(services) as client:
        for question in ("Can I attend a conference in Russia?", "Bad \ud800 surrogate in a question?"):
            response = await client.post("/api/ask", content=json.dumps({"question": question}).encode(),
                                         headers={"Content-Type": "application/json"})
            assert response.status_code in (200, 400), response.text
        answered = (await client.post("/api/ask", json={"question": "Can I attend a conference in Russia?"})).json()
        assert answered["answered"] and answered["question_id"] is None and answered["feedback_token"] is None
        ready = (await client.get("/readyz")).json()
    assert ready["ready"] and "cannot be written" in ready["degraded"]


@pytest.mark.parametrize("body, status", [
    ({"question_id": 99999, "rating": 1, "feedback_token": "x"}, 404),
    ({"question_id": 1, "rating": 1}, 422),
    ({"question_id": 1, "rating": 0, "feedback_token": "x"}, 422),
    ({"question_id": 1, "rating": 5, "feedback_token": "x"}, 422),
    ({"question_id": "one", "rating": 1, "feedback_token": "x"}, 422),
    ({"question_id": 0, "rating": 1, "feedback_token": "x"}, 422),
    ({"rating": 1}, 422),
])
async def test_bad_feedback_gets_a_plain_4xx(client, body, status):
    assert_plain_error(await client.post("/api/feedback", json=body), status)


# Health ---------------------------------------------------------------------------------------
async def test_ready_only_once_the_knowledge_is_loaded(make_services):
    services = make_services()
    services.ready = False
    async with client_for(services) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
        services.ready = True
        ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["version"] == services.advisor.version


async def test_openapi_describes_the_api(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"/api/ask", "/api/sources", "/api/feedback", "/healthz", "/readyz"} <= set(paths)
    assert (await client.get("/docs")).status_code == 200


# Pages and headers ----------------------------------------------------------------------------------
async def test_demo_page_embeds_the_widget_with_one_tag_and_a_strict_csp(client):
    response = await client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    scripts = re.findall(r"<script\b[^>]*>", response.text)
    assert scripts == ['<script src="/widget.js" data-title="Collaboration Advisor" data-lang="en" data-accent="#00539b" async>']
    assert re.search(r"<script[^>]*>\s*[^<\s]", response.text) is None, "no inline script"
    french = await client.get("/?lang=fr")
    assert 'data-lang="fr"' in french.text and '<html lang="fr">' in french.text
    assert 'data-lang="en"' in (await client.get("/?lang=<script>")).text


async def test_widget_is_small_self_contained_and_never_uses_html_sinks(client):
    response = await client.get("/widget.js")
    assert response.status_code == 200 and "javascript" in response.headers["content-type"]
    code = response.text
    assert len(response.content) <= 30 * 1024
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in code
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", code.split("*/", 1)[1]), "no external URLs"


# CORS ---------------------------------------------------------------------------------------------
async def test_cors_allows_only_the_configured_origins(make_services):
    services = make_services(cors_origins="https://intranet.example.org, https://staff.example.org")
    async with client_for(services) as client:
        preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
        allowed = await client.options("/api/ask", headers={"Origin": "https://staff.example.org", **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://staff.example.org"
        refused = await client.options("/api/ask", headers={"Origin": "https://evil.example.com", **preflight})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
        simple = await client.post("/api/ask", json={"question": "Can I go to Russia?"},
                                   headers={"Origin": "https://intranet.example.org"})
        assert simple.headers["access-control-allow-origin"] == "https://intranet.example.org"
        other = await client.get("/api/sources", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in other.headers


async def test_no_cross_origin_access_without_an_allow_list(client):
    response = await client.get("/api/sources", headers={"Origin": "https://intranet.example.org"})
    assert "access-control-allow-origin" not in response.headers


# Rate limit -------------------------------------------------------------------------------------------
async def test_rate_limit_answers_429_with_retry_after_per_client(make_services):
    services = make_services(web_rate_limit_per_minute=3, cors_origins="https://intranet.example.org")
    app = create_app(services)

    def client_at(address: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 1)), base_url="http://testserver")

    async with client_at("127.0.0.1") as client:
        for _ in range(3):
            assert (await client.get("/api/sources")).status_code == 200
        limited = await client.post("/api/ask", json={"question": "Can I go to Russia?"},
                                    headers={"Origin": "https://intranet.example.org"})
        message = assert_plain_error(limited, 429)
        assert 1 <= int(limited.headers["retry-after"]) <= 20 and "try again" in message
        assert limited.headers["access-control-allow-origin"] == "https://intranet.example.org"
        assert (await client.get("/healthz")).status_code == 200  # health checks are not limited
    async with client_at("10.1.2.3") as other:
        assert (await other.get("/api/sources")).status_code == 200


def test_rate_limiter_refills_evenly():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.wait_seconds("a") == 0 for _ in range(60))
    assert limiter.wait_seconds("a") == pytest.approx(1.0)
    assert limiter.wait_seconds("b") == 0
    now[0] += 1.0
    assert limiter.wait_seconds("a") == 0 and limiter.wait_seconds("a") > 0


# Admin ----------------------------------------------------------------------------------------------
SMALL_KNOWLEDGE = ("guidance/whom-to-contact.md", "guidance/export-control-and-dual-use.md")


@pytest.fixture(scope="module")
def small_site(tmp_path_factory, embedder, built_store):
    """A two-document knowledge folder and its store: admin tests change both, so they get their own."""
    from ingest.build import ingest

    root = tmp_path_factory.mktemp("small")
    (root / "store").mkdir()
    shutil.copy(built_store / "embedding-cache.sqlite", root / "store")  # these documents are embedded already
    for name in SMALL_KNOWLEDGE:
        (root / "knowledge" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(KNOWLEDGE / name, root / "knowledge" / name)
    report = ingest(make_settings(root, knowledge_dir=root / "knowledge"), None, embedder)
    assert report.published, report.summary()
    return root


@pytest.fixture
def knowledge_copy(small_site, tmp_path):
    shutil.copytree(small_site / "store", tmp_path / "small-store")
    return shutil.copytree(small_site / "knowledge", tmp_path / "knowledge")


@pytest.fixture
async def admin(make_services, knowledge_copy, tmp_path):
    services = make_services(admin_token=TOKEN, knowledge_dir=knowledge_copy, store_dir=tmp_path / "small-store",
                             max_upload_bytes=200_000)
    async with client_for(services) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        yield client, services


@pytest.mark.parametrize("method, path", [("post", "/admin/reingest"), ("post", "/admin/documents"),
                                          ("get", "/admin/report"), ("get", "/admin/versions"),
                                          ("post", "/admin/rollback")])
async def test_admin_endpoints_are_off_without_a_token(client, method, path):
    assert_plain_error(await getattr(client, method)(path, headers={"Authorization": "Bearer anything"}), 404)


async def test_admin_endpoints_refuse_a_missing_or_wrong_token(admin):
    client, _ = admin
    missing = await client.get("/admin/report", headers={"Authorization": ""})
    assert_plain_error(missing, 401)
    assert missing.headers["www-authenticate"] == "Bearer"
    assert_plain_error(await client.get("/admin/report", headers={"Authorization": "Basic YWRtaW46eA=="}), 401)
    assert_plain_error(await client.get("/admin/report", headers={"Authorization": "Bearer wrong"}), 403)
    assert_plain_error(await client.post("/admin/reingest", headers={"Authorization": "Bearer wrong"}), 403)
    assert_plain_error(await client.post("/admin/documents", headers={"Authorization": "Bearer wrong"},
                                         files={"file": ("a.md", b"# x")}), 403)


async def test_admin_report_shows_gaps_feedback_and_counts(admin):
    client, _ = admin
    asked = (await client.post("/api/ask", json={"question": "What is the recipe for a chocolate cake?"})).json()
    await client.post("/api/feedback", json={"question_id": asked["question_id"], "rating": -1,
                                             "feedback_token": asked["feedback_token"]})
    report = (await client.get("/admin/report")).json()
    assert report["stats"]["questions"] == 1 and report["stats"]["not_covered"] == 1
    assert report["not_covered"][0]["question"] == "What is the recipe for a chocolate cake?"
    assert report["feedback"][0]["rating"] == -1
    versions = (await client.get("/admin/versions")).json()
    assert [v["serving"] for v in versions] == [True]


async def test_a_corrupt_pdf_upload_is_reported_by_name_and_nothing_is_published(admin, knowledge_copy):
    client, services = admin
    store = KnowledgeStore(services.settings.store_dir)
    before = (store.current_id(), store.version_ids())
    response = await client.post("/admin/documents", files={"file": ("broken-guidance.pdf", b"%PDF-1.7\n%garbage\x00\x01", "application/pdf")})
    message = assert_plain_error(response, 422)
    assert "broken-guidance.pdf" in message
    assert (store.current_id(), store.version_ids()) == before
    assert not list(knowledge_copy.rglob("*broken-guidance*"))


@pytest.mark.parametrize("files, status, says", [
    ({"file": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")}, 415, "tool.exe"),
    ({"file": ("notes", b"hello", "text/plain")}, 415, "unsupported"),
    ({"other": ("a.md", b"# x", "text/markdown")}, 422, "file"),
    ({"file": ("big.md", b"x" * 300_000, "text/markdown")}, 413, "limit"),
])
async def test_bad_uploads_get_a_plain_4xx(admin, files, status, says):
    client, _ = admin
    message = assert_plain_error(await client.post("/admin/documents", files=files), status)
    assert says in message


async def test_upload_needs_multipart(admin):
    client, _ = admin
    assert_plain_error(await client.post("/admin/documents", json={"file": "x"}), 415)


async def test_a_full_disk_during_ingestion_is_a_507_and_answers_go_on(admin, monkeypatch, tmp_path):
    client, services = admin
    (services.settings.knowledge_dir / "new.md").write_text("---\ntitle: New\n---\n# New\n\nVisitors register at the desk.\n")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(KnowledgeStore, "write_version", disk_full)
    assert "is full" in assert_plain_error(await client.post("/admin/reingest"), 507)
    assert (await client.post("/api/ask", json={"question": "Can I attend a conference in Russia?"})).status_code == 200


async def test_reingest_and_rollback_are_audited_as_the_web_admin(admin):
    client, services = admin
    response = await client.post("/admin/reingest")
    assert response.status_code == 200 and "Nothing changed" in response.json()["summary"]
    assert_plain_error(await client.post("/admin/rollback", json={}), 409)  # only one version
    assert_plain_error(await client.post("/admin/rollback", json={"version": "v9999"}), 404)
    assert_plain_error(await client.post("/admin/rollback", content=b"{}"), 415)
    audit = KnowledgeStore(services.settings.store_dir).audit_entries()
    assert audit[-1]["actor"] == "web:admin" and audit[-1]["result"] == "unchanged"


@pytest.mark.slow
async def test_uploading_a_document_publishes_it_and_rollback_restores(admin, knowledge_copy):
    client, services = admin
    first = services.advisor.version
    doc = ("---\ntitle: \"Travel to Russia for fieldwork\"\nissuer: \"Research office\"\ndate: 2026-11-01\n"
           "url: https://intranet.example.org/travel\nlanguage: en\nauthority: summary\n---\n\n"
           "Fieldwork trips to Russia need the written approval of the dean and of the travel safety officer "
           "before any booking is made.\n")
    response = await client.post("/admin/documents", files={"file": ("fieldwork travel.md", doc.encode(), "text/markdown")})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["published"], report["summary"]
    assert (knowledge_copy / "fieldwork-travel.md").is_file()
    assert services.advisor.version != first
    rolled = await client.post("/admin/rollback", json={"version": first})
    said = rolled.json()
    assert said["version"] == first and services.advisor.version == first
    assert said["moved"] == ["fieldwork-travel.md"] and (Path(said["trash"]) / "fieldwork-travel.md").is_file()
    assert f"Moved out of the knowledge folder into {said['trash']}: fieldwork-travel.md." in said["summary"]
    actors = {(e["action"], e["actor"]) for e in KnowledgeStore(services.settings.store_dir).audit_entries()}
    assert {("rollback", "web:admin")} <= actors


@pytest.mark.slow
async def test_web_admin_adds_with_details_removes_and_rolls_back_to_what_served(admin, knowledge_copy):
    client, services = admin
    page = b"<html><body><p>Fieldwork trips to Russia need the written approval of the dean before booking.</p></body></html>"
    details = {"issuer": "Research office", "date": "2026-11-01", "url": "https://intranet.example.org/travel",
               "authority": "official"}
    refused = await client.post("/admin/documents", files={"file": ("travel.html", page, "text/html")},
                                data=details | {"url": "javascript:alert(1)"})
    assert "not a web address" in assert_plain_error(refused, 422) and not (knowledge_copy / "travel.html").exists()
    added = await client.post("/admin/documents", files={"file": ("travel.html", page, "text/html")}, data=details)
    assert added.status_code == 200, added.text
    with_travel = services.advisor.version
    listed = {d["path"]: d for d in (await client.get("/admin/documents")).json()}
    assert (listed["travel.html"]["issuer"], listed["travel.html"]["authority"]) == ("Research office", "official")
    assert (knowledge_copy / "travel.html.meta.yaml").is_file()

    assert_plain_error(await client.delete("/admin/documents/no-such.md"), 404)
    removed = await client.delete("/admin/documents/travel.html")
    assert removed.status_code == 200 and removed.json()["removed"] == ["travel.html"], removed.text
    assert not (knowledge_copy / "travel.html").exists() and "travel.html" not in {
        d["path"] for d in (await client.get("/admin/documents")).json()}

    rolled = await client.post("/admin/rollback", json={})  # back to what served before the removal
    assert rolled.json()["version"] == with_travel and services.advisor.version == with_travel
    assert rolled.json()["restored"] == ["travel.html", "travel.html.meta.yaml"], rolled.json()
    assert (knowledge_copy / "travel.html").is_file()  # the folder follows what serves
    actions = [(e["action"], e["actor"]) for e in KnowledgeStore(services.settings.store_dir).audit_entries()]
    assert ("remove", "web:admin") in actions and actions[-1] == ("rollback", "web:admin")


def test_admin_tokens_are_taken_whole_named_explicitly_and_long():
    assert admin_tokens(Settings(_env_file=None)) == {}
    whole = Settings(_env_file=None, admin_token="foo:bar,abc-def-ghi-jkl")
    assert admin_tokens(whole) == {"admin": "foo:bar,abc-def-ghi-jkl"}  # no silent splitting at ':' or ','
    named = Settings(_env_file=None, admin_tokens={"alice": "a" * 16, "bob": "b" * 20})
    assert admin_tokens(named) == {"alice": "a" * 16, "bob": "b" * 20}
    for bad in ({"admin_token": "short"}, {"admin_tokens": {"alice": "short"}}, {"admin_tokens": {"a b": "x" * 16}}):
        with pytest.raises(ValidationError):
            Settings(_env_file=None, **bad)


async def test_admins_have_their_own_rate_limit_bucket(make_services):
    services = make_services(admin_token=TOKEN, web_rate_limit_per_minute=2)
    async with client_for(services) as client:
        for _ in range(3):
            await client.get("/api/sources")
        assert (await client.get("/api/sources")).status_code == 429
        response = await client.get("/admin/versions", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200


async def test_every_quote_links_to_its_place_in_its_document(client):
    answer = (await client.post("/api/ask", json={"question": "Can Russian students still enrol at a Belgian university?"})).json()
    assert answer["answered"] and answer["quotes"]  # the loop below checks something
    for quote in answer["quotes"]:
        page = await client.get(quote["view_url"].split("#")[0])
        assert page.status_code == 200 and page.headers["content-security-policy"].startswith("default-src 'none'")
        passage = re.search(rf'<p id="{re.escape(quote["view_url"].split("#")[1])}">(.*?)</p>', page.text)
        assert passage and html.escape(quote["text"]) in passage.group(1)
    assert_plain_error(await client.get("/documents/no-such-document.md"), 404)


async def test_a_french_quote_opens_its_document_with_the_translation_beside_it(client):
    answer = (await client.post("/api/ask", json={"question": "Puis-je continuer à travailler avec mon collègue russe ?",
                                                  "lang": "fr"})).json()
    quote = answer["quotes"][0]
    assert quote["translation"] and "?lang=fr#" in quote["view_url"]
    page = (await client.get(quote["view_url"].split("#")[0])).text
    passage_id = quote["view_url"].split("#")[1]
    shown = re.search(rf'<p id="{re.escape(passage_id)}">.*?</p><p class="translation" lang="fr">(.*?)</p>', page)
    assert shown and html.escape(quote["translation"]) in shown.group(1) and "Traduction non officielle" in shown.group(1)
    english = (await client.get(quote["view_url"].split("?")[0])).text  # without lang: the original alone
    assert 'class="translation"' not in english


async def test_an_upload_named_like_a_document_is_a_409_until_replace_is_asked(admin, knowledge_copy):
    client, services = admin
    name = "lab-visitors.md"
    first = ("---\ntitle: Lab visitors\nissuer: Test\ndate: 2026-11-01\nlanguage: en\n---\n# Lab visitors\n\n"
             "Visitors to the lab sign in at the front desk.\n")
    assert (await client.post("/admin/documents", files={"file": (name, first.encode(), "text/markdown")})).status_code == 200
    before = (knowledge_copy / name).read_bytes()
    doc = first.replace("front desk", "security office")
    message = assert_plain_error(await client.post("/admin/documents", files={"file": (name, doc.encode(), "text/markdown")}), 409)
    assert name in message and "replace" in message and (knowledge_copy / name).read_bytes() == before
    response = await client.post("/admin/documents", files={"file": (name, doc.encode(), "text/markdown")},
                                 data={"replace": "true"})
    # the document is the uploader's own, no check leans on it: asked to replace, it is replaced and published
    # (a replacement the checks refuse changes nothing: tests/test_hostile_uploads.py)
    assert response.status_code == 200, response.text
    assert response.json()["published"] and (knowledge_copy / name).read_bytes() == doc.encode()
    assert "security office" in services.advisor.ask("Where do lab visitors sign in?", "en").text


async def test_a_follow_up_sent_with_the_previous_question_is_answered_in_its_light(client):
    first = (await client.post("/api/ask", json={"question": "Can I attend a conference in Russia?"})).json()
    follow = (await client.post("/api/ask", json={"question": "Is that the same in Wallonia?",
                                                  "previous": "Can I attend a conference in Russia?"})).json()
    assert follow["answered"] and follow["quotes"][0]["passage_id"] == first["quotes"][0]["passage_id"]
    assert_plain_error(await client.post("/api/ask", json={"question": "And then?", "previous": "x" * 1001}), 422)
