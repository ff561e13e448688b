"""The `advisor` command end to end, as a user runs it, on a temporary store."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import cli

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def advisor(capsys, monkeypatch, embedder):
    """`advisor …` run in this process through `main(argv)`, with the session's loaded models."""
    monkeypatch.setattr(cli, "embedder_for", lambda settings, threads=None: embedder)

    def run(*args: str, input: str | None = None, env_extra: dict[str, str] | None = None) -> Run:
        for key, value in (env_extra or {}).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(sys, "stdin", io.StringIO(input or ""))
        capsys.readouterr()
        code = cli.main(list(args))
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


def test_the_command_runs_as_its_own_process(tmp_path):
    """The one run through a real process: the entry point, its exit code and its message."""
    result = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "anything?", "--store", str(tmp_path / "none")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 1
    assert "run `advisor ingest` first" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def store(tmp_path_factory, built_store):
    return built_store


def test_ingest_reports_broken_files_and_publishes_the_rest(advisor, tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "policy.md").write_text("---\ntitle: Policy\nlanguage: en\n---\nVisiting researchers from Russia remain welcome at the lab.\n")
    (kb / "broken.docx").write_bytes(b"not a zip")
    result = advisor("ingest", str(kb), "--store", str(tmp_path / "s"), "--no-checks")
    assert result.returncode == 0, result.stderr
    assert "Published knowledge version v0001" in result.stdout
    assert "broken.docx: is not a valid DOCX file (not a zip archive)" in result.stdout
    again = advisor("ingest", str(kb), "--store", str(tmp_path / "s"), "--json")
    assert json.loads(again.stdout)["reason"].startswith("Nothing changed")


def test_ask_json_prints_the_stable_shape(advisor, store):
    result = advisor("ask", "Can Russian students still enrol at a Belgian university?", "--json", "--store", str(store))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["answered"] is True and data["question"].startswith("Can Russian")
    quote = data["quotes"][0]
    assert {"text", "document", "title", "issuer", "date", "url", "passage_id", "score"} <= set(quote)
    assert quote["text"] in data["text"]


def test_ask_batch_from_stdin_prints_one_object_per_line(advisor, store):
    result = advisor("ask", "--json", "-", "--store", str(store),
                     input="Who presides over the CRef?\n\nHow do I cook pasta?\n" + "y" * 1200 + "\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["answered"] for line in lines] == [True, False, False]
    assert "1200 characters" in lines[2]["text"]


def test_eval_json_has_the_documented_keys(advisor, store, tmp_path):
    cases = tmp_path / "set.jsonl"
    cases.write_text(
        json.dumps({"id": "a", "lang": "en", "question": "When did the Belgian rectors decide?", "expect_any": ["On Thursday 10th March"], "kind": "answer"}) + "\n"
        + json.dumps({"id": "x", "lang": "en", "question": "Best pizza in Ghent?", "expect_any": [], "kind": "abstain"}) + "\n")
    result = advisor("eval", str(cases), "--json", "--store", str(store))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    for key in ("hit_at_1", "hit_at_3", "abstained_correctly", "answered_in_scope", "median_first_quote_chars",
                "latency_ms", "by_lang", "misses", "n_answer", "n_abstain"):
        assert key in data
    assert data["n_answer"] == 1 and data["n_abstain"] == 1 and set(data["latency_ms"]) == {"p50", "p95"}
    assert "n_threads" not in data  # a one-question set reports exactly what it always did


def test_eval_asks_a_thread_set_as_conversations_and_reports_threads_per_language(advisor, store, tmp_path):
    threads = tmp_path / "threads.jsonl"
    threads.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in [
        {"id": "en1", "lang": "en", "kind": "new-subject", "turns": [
            {"question": "Can I host a visiting researcher from Russia in my group?", "kind": "answer",
             "expect_any": ["hosting a visiting researcher"]},
            {"question": "And what about PhD students?", "kind": "answer", "expect_any": ["PhD student"]}]},
        {"id": "fr1", "lang": "fr", "kind": "new-subject", "turns": [
            {"question": "Puis-je accueillir un chercheur russe en visite dans mon équipe ?", "kind": "answer",
             "expect_any": ["hosting a visiting researcher"]},
            {"question": "Et pour les doctorants ?", "kind": "answer", "expect_any": ["PhD"]}]}]))
    result = advisor("eval", str(threads), "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert "en: hit@1 2/2 (100%)" in result.stdout and "fr: hit@1 2/2 (100%)" in result.stdout
    assert result.stdout.count("threads fully right 1/1 (100%)") == 2
    data = json.loads(advisor("eval", str(threads), "--json", "--store", str(store)).stdout)
    assert data["n_threads"] == 2 and data["by_lang"]["fr"]["threads_right"] == 1.0


def test_versions_rollback_and_audit(advisor, store_copy):
    assert "*" in advisor("versions", "--store", str(store_copy)).stdout
    result = advisor("rollback", "--store", str(store_copy))
    assert result.returncode == 1 and "no earlier served version" in result.stderr
    audit = advisor("audit", "--store", str(store_copy))
    assert "publish" in audit.stdout


@pytest.mark.slow
def test_ingest_adds_one_file_remove_takes_it_out_and_rollback_goes_back(advisor, store_copy, tmp_path):
    import shutil

    knowledge = shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    env = {"ADVISOR_KNOWLEDGE_DIR": str(knowledge)}
    memo = tmp_path / "memo.md"
    memo.write_text("---\ntitle: Memo\nissuer: Test\ndate: 2026-11-01\n---\n# Memo\n\n"
                    "Guest lecturers from Russia register with the faculty secretariat before their visit.\n")
    store = ("--store", str(store_copy))
    added = advisor("ingest", str(memo), *store, env_extra=env)
    assert added.returncode == 0, added.stdout + added.stderr
    assert "Documents: 11 (1 added, 0 changed, 0 removed)" in added.stdout and "Checks: 0/" not in added.stdout
    assert "Checks: none ran" not in added.stdout and not (knowledge / "memo.md").exists()
    removed = advisor("remove", "memo.md", *store, env_extra=env)
    assert removed.returncode == 0 and "Removed: memo.md" in removed.stdout, removed.stdout + removed.stderr
    assert advisor("rollback", *store, env_extra=env).stdout == "Now serving knowledge version v0002.\n"
    assert advisor("rollback", "--to", "v0001", *store, env_extra=env).stdout == "Now serving knowledge version v0001.\n"
    audit = advisor("audit", *store).stdout
    assert "remove memo.md" in audit and audit.count("rollback") == 2


def test_a_bad_setting_is_named_with_its_value(advisor, tmp_path):
    result = advisor("versions", "--store", str(tmp_path), env_extra={"ADVISOR_WEB_PORT": "eighty"})
    assert result.returncode == 2
    assert "ADVISOR_WEB_PORT='eighty'" in result.stderr and "Traceback" not in result.stderr


def test_a_setting_that_must_be_json_says_so(advisor, tmp_path):
    result = advisor("versions", "--store", str(tmp_path), env_extra={"ADVISOR_ADMIN_TOKENS": "alice:tok,bob:tok"})
    assert result.returncode == 2 and "admin_tokens" in result.stderr and "JSON" in result.stderr
    assert "tok" not in result.stderr.replace("admin_tokens", "")


def test_serve_on_a_taken_port_names_the_flag_and_the_setting(advisor, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = advisor("serve", "--host", "127.0.0.1", "--port", str(port), "--store", str(tmp_path / "store"))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "Errno" not in result.stderr
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert f"--port {port + 1}" in result.stderr and f"ADVISOR_WEB_PORT={port + 1}" in result.stderr


def test_a_file_given_as_the_store_is_named(advisor, tmp_path):
    not_a_store = tmp_path / "store.sqlite"
    not_a_store.write_text("")
    result = advisor("sources", "--store", str(not_a_store))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--store {not_a_store} is a file" in result.stderr


def test_chat_wraps_answers_at_word_boundaries_to_the_terminal_width(advisor, store):
    result = advisor("chat", "--store", str(store), input="Can I keep working with my Russian co-author?\n\n",
                     env_extra={"COLUMNS": "50"})
    assert result.returncode == 0, result.stderr
    answer = result.stdout.split("you> ", 1)[1]
    lines = answer.splitlines()
    assert max(len(line) for line in lines) <= 50 or all(" " not in line for line in lines if len(line) > 50)
    flat = " ".join(answer.split())
    for line in lines:  # no line ends inside a word: each line's last word is whole in the flowing text
        if line.strip() and len(line) > 40:
            assert f"{line.split()[-1]} " in flat + " "
    assert "“" in answer


OFF_TOPIC = "What language requirements do the applicants need to fulfil?"
DECLINED = "Les ponts sont donc coupés avec certaines universités ?"
BRIDGES = "decided to formally suspend academic relations with universities that had signed this declaration"


def test_ask_and_eval_leave_the_review_queue_empty(advisor, store_copy, tmp_path):
    cases = tmp_path / "set.jsonl"
    cases.write_text(json.dumps({"id": "x", "lang": "en", "question": OFF_TOPIC, "expect_any": [], "kind": "abstain"}) + "\n")
    assert advisor("ask", OFF_TOPIC, "--store", str(store_copy)).returncode == 0
    assert advisor("eval", str(cases), "--store", str(store_copy)).returncode == 0
    result = advisor("review", "--json", "--store", str(store_copy))
    assert result.returncode == 0 and json.loads(result.stdout) == []
    assert "The review queue is empty." in advisor("review", "--store", str(store_copy)).stdout


def test_review_decisions_from_the_terminal_publish_with_advisor_ingest(advisor, make_services, tmp_path):
    import shutil

    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    services = make_services(knowledge_dir=knowledge)
    store = str(services.settings.store_dir)
    for question in (DECLINED, OFF_TOPIC, "What is the weather like in Ghent?"):
        services.review.consider(services.advisor.ask(question))
    env = {"ADVISOR_KNOWLEDGE_DIR": str(knowledge)}
    listed = json.loads(advisor("review", "--json", "--store", store, env_extra=env).stdout)
    assert {tuple(sorted(e)) for e in listed} == {("candidates", "confidence", "count", "id", "language", "last_asked",
                                                   "question", "reason", "version")}
    ids = {e["question"]: e["id"] for e in listed}
    bridges = next(e for e in listed if e["question"] == DECLINED)
    assert len(bridges["candidates"]) >= 5 and set(bridges["candidates"][0]) == {"passage_id", "text", "document", "score"}
    table = advisor("review", "--store", store, env_extra=env).stdout
    assert f"#{ids[DECLINED]}" in table and "declined" in table
    target = next(p for p in services.advisor.refresh().snapshot.passages.values() if BRIDGES in p.text).id

    assert advisor("review", "attach", str(ids[DECLINED]), target, "--store", store, env_extra=env).returncode == 0
    assert advisor("review", "uncovered", str(ids[OFF_TOPIC]), "--store", store, env_extra=env).returncode == 0
    weather = str(ids["What is the weather like in Ghent?"])
    assert advisor("review", "dismiss", weather, "--store", store, env_extra=env).returncode == 0
    again = advisor("review", "dismiss", weather, "--store", store, env_extra=env)
    assert again.returncode == 0 and "already decided so; nothing changed" in again.stdout
    gone = advisor("review", "uncovered", "4242", "--store", store, env_extra=env)
    assert gone.returncode == 1 and "no review entry 4242" in gone.stderr and "Traceback" not in gone.stderr
    other = advisor("review", "attach", weather, "no-such-passage", "--store", store, env_extra=env)
    assert other.returncode == 1 and "'no-such-passage' is not in the serving knowledge version" in other.stderr
    assert json.loads(advisor("review", "--json", "--store", store, env_extra=env).stdout) == []
    assert not any(DECLINED in p.read_text() for p in knowledge.glob("questions/*.md"))  # pending: not yet written

    ingested = advisor("ingest", "--store", store, env_extra=env)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    assert "Review decisions carried: 2 (published)." in ingested.stdout
    assert any(DECLINED in p.read_text() for p in knowledge.glob("questions/*.md"))
    services.advisor.refresh(force=True)  # what `advisor serve` does when it sees the new version
    answer = services.advisor.ask(DECLINED)
    assert answer.answered and BRIDGES in answer.quotes[0].text
    assert not services.advisor.ask(OFF_TOPIC).answered
    actions = [(e["action"], e.get("decision")) for e in services.admin.store.audit_entries()][-5:]
    assert ("review", "attach") in actions and ("review", "dismiss") in actions and actions[-1][0] == "publish"


@pytest.mark.parametrize("token, said", [(None, True), ("a-token-of-twenty-chars", False)])
def test_serve_says_in_its_log_when_the_admin_page_is_off(tmp_path, token, said):
    from .conftest import free_port

    # run from an empty folder, so that no .env of a developer's checkout sets a token
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)} | (
        {"ADVISOR_ADMIN_TOKEN": token} if token else {})
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(free_port()), "--store",
                               str(tmp_path / "store")], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    deadline = threading.Timer(60, server.kill)  # a server that never says where it listens fails the test, not hangs it
    deadline.start()
    log = []
    try:
        for line in server.stdout:  # an empty store: it starts at once, not ready, and says where it listens
            log.append(line)
            if "Web chat at" in line:
                break
    finally:
        deadline.cancel()
        server.terminate()
        server.wait(timeout=30)
    assert log and "Web chat at" in log[-1], "".join(log)
    assert ("The admin page (/admin) is off: neither ADVISOR_ADMIN_TOKEN nor ADVISOR_ADMIN_TOKENS is set." in "".join(log)) is said
