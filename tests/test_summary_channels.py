"""The summary in every door: the web JSON, Telegram, `advisor ask --json`, the widget; and none of LangChain without it."""
from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
from telegram import Update

import integrations.chat_model
from advisor.strings import t
from bench.fake_chat import honest, inventing, writing
from bot import cli
from bot.serve import Runtime
from bot.telegram import build_application
from bot.web import create_app
from integrations.chat_model import ChatModelUnavailable, chat_model_for
from tests.botapi_standin import TOKEN, BotApiStandIn, OfflineRequest, parse_telegram_html

from .conftest import ROOT, make_settings

QUESTION = "Can I keep working with my Russian co-author?"


@pytest.fixture
def runtime(store_copy, tmp_path, embedder):
    """`advisor serve`'s engine with a fake chat model injected; the test sets how it writes."""
    model = writing(honest)
    services = Runtime(make_settings(tmp_path, store_dir=store_copy, telegram_token=TOKEN), embedder=embedder, chat_model=model)
    services.load()
    yield services, model
    services.journal.close()


async def test_the_web_answer_carries_the_summary_and_its_status(runtime):
    services, model = runtime
    transport = httpx.ASGITransport(app=create_app(services), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        shown = (await client.post("/api/ask", json={"question": QUESTION})).json()
        assert shown["summary_status"] == "ok" and shown["summary"].startswith("The guidance answers this [1].")
        assert shown["text"].startswith(t("en", "summary_label") + "\n" + shown["summary"])
        model.write = inventing
        dropped = (await client.post("/api/ask", json={"question": QUESTION})).json()
    assert (dropped["summary"], dropped["summary_status"]) == (None, "invented_quote")
    assert dropped["quotes"] == shown["quotes"] and t("en", "summary_label") not in dropped["text"]


async def test_telegram_shows_the_labelled_summary_above_the_quotes(runtime):
    services, model = runtime
    standin = BotApiStandIn()
    application = build_application(services, request=OfflineRequest(standin))
    await application.initialize()
    try:
        update = standin.user_sends(QUESTION)
        await application.process_update(Update.de_json(standin.update_json(update), application.bot))
    finally:
        await application.shutdown()
    [reply] = standin.sent
    parse_telegram_html(reply.html)
    label = t("en", "summary_label")
    assert reply.html.index(label) < reply.html.index("The guidance answers this [1].") < reply.html.index("<blockquote>")
    assert standin.problems == []


def test_advisor_ask_json_prints_the_summary(monkeypatch, capsys, embedder, built_store):
    monkeypatch.setattr(cli, "embedder_for", lambda settings, threads=None: embedder)
    monkeypatch.setattr(integrations.chat_model, "chat_model_for", lambda settings: writing(honest))
    assert cli.main(["ask", "--json", QUESTION, "--store", str(built_store)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["summary_status"] == "ok" and shown["summary"] in shown["text"]


def test_an_unknown_provider_is_named_in_a_plain_error(monkeypatch, capsys, embedder, built_store):
    monkeypatch.setattr(cli, "embedder_for", lambda settings, threads=None: embedder)
    monkeypatch.setenv("ADVISOR_LLM", "nosuchprovider:some-model")
    assert cli.main(["ask", QUESTION, "--store", str(built_store)]) == 1
    error = capsys.readouterr().err
    assert "ADVISOR_LLM='nosuchprovider:some-model' is not a chat model LangChain can build" in error and "Traceback" not in error


def test_no_setting_no_model(tmp_path):
    assert chat_model_for(make_settings(tmp_path)) is None
    with pytest.raises(ChatModelUnavailable, match="ADVISOR_LLM='x:y'"):
        chat_model_for(make_settings(tmp_path, llm="x:y"))


def test_without_a_model_the_answer_path_never_imports_langchain(built_store, model_cache):
    """`advisor ask` and every door load without LangChain, so start-up is what it was."""
    script = ("import json, sys; from bot import cli; import bot.serve, bot.web, bot.telegram; "
              f"code = cli.main(['ask', '--json', {QUESTION!r}, '--store', {str(built_store)!r}]); "
              "print(json.dumps(sorted(m for m in sys.modules if m.startswith('langchain'))), file=sys.stderr); sys.exit(code)")
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "ADVISOR_MODEL_CACHE_DIR": str(model_cache)}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary_status"] == "off"
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []
