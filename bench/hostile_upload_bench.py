"""Hostile uploads against a running `advisor serve`: each is refused by name, in bounded time and memory, while
questions keep being answered.

The server runs in its own process on 127.0.0.1 over a copy of knowledge/ (uploads never touch the checkout).
One thread asks questions the whole time; the uploads go in one after another. Reported: each upload's status,
message and time; answer latency before and during the uploads (the target: p95 within 2 s); the server's peak
RSS (the target: 1.5 GB); whether the knowledge folder changed.

    python bench/hostile_upload_bench.py
"""
from __future__ import annotations

import io
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, print_table, write_results  # noqa: E402  (sets the offline environment first)

# isort: split
from bench.load import build_store, free_port, serving_memory, start_server, wait_ready  # noqa: E402

TOKEN = uuid.uuid4().hex
QUESTIONS = ["Can I keep working with my Russian co-author?", "Puis-je participer à une conférence en Russie ?",
             "Mag ik blijven samenwerken met mijn Russische coauteur?", "Does export control apply to my research?"]


def hostile_files() -> list[tuple[str, str, bytes]]:
    """(what, file name, bytes): each built here, small on the wire."""
    from fpdf import FPDF

    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    alias_bomb = ("---\n" + "\n".join(levels) + "\ntitle: *a8\n---\n# Bomb\n\nText.\n").encode()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", " " * (1024 * 2**20))  # 1 GB of XML
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document><w:body><broken")
    pdf = FPDF()
    pdf.set_font("Helvetica")
    for _ in range(10_000):
        pdf.add_page()
    html = ("<html><body>" + "<p><b>Visiting</b> <i>scholars</i> register.</p>" * 200_000 + "</body></html>").encode()
    name_clash = Path(ROOT / "knowledge" / "2022-03-10-cref-vlir-communique.md").name
    good = (b"---\ntitle: Lab visitors\nissuer: Test lab\ndate: 2026-11-01\nlanguage: en\n---\n# Lab visitors\n\n"
            b"Visitors to the test lab sign in at the front desk.\n")
    return [
        ("YAML alias bomb (depth 8)", "alias-bomb.md", alias_bomb),
        ("DOCX zip bomb (1 GB of XML)", "bomb.docx", bomb.getvalue()),
        ("DOCX with broken XML", "broken.docx", broken.getvalue()),
        ("PDF with 10,000 pages", "pages.pdf", bytes(pdf.output())),
        ("HTML of 200,000 paragraphs", "huge.html", html),
        ("upload named like the communiqué", name_clash, b"# Unrelated\n\nLunch is at noon.\n"),
        ("reserved name synonyms.txt", "synonyms.txt", b"co-author = lunch\n"),
        ("a good document (published)", "lab-visitors.md", good),
    ]


def upload(port: int, name: str, data: bytes) -> tuple[int, str, float]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/admin/documents", data=body, method="POST", headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            status, payload = response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, json.loads(exc.read() or b"{}")
    took = time.perf_counter() - started
    message = payload.get("error") or payload.get("summary", "").splitlines()[0]
    return status, message, took


def ask_forever(port: int, stop: threading.Event, latencies: list[tuple[float, float]]) -> None:
    n = 0
    while not stop.is_set():
        body = json.dumps({"question": QUESTIONS[n % len(QUESTIONS)]}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/ask", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
        latencies.append((started, time.perf_counter() - started))
        n += 1


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    files = hostile_files()
    with tempfile.TemporaryDirectory() as tmp:
        knowledge, store = Path(tmp) / "knowledge", Path(tmp) / "store"
        shutil.copytree(ROOT / "knowledge", knowledge)
        env = {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin",
               "ADVISOR_KNOWLEDGE_DIR": str(knowledge), "ADVISOR_ADMIN_TOKEN": TOKEN,
               "ADVISOR_WEB_RATE_LIMIT_PER_MINUTE": "100000", "ADVISOR_MAX_UPLOAD_BYTES": str(20 * 2**20)}
        build_store(knowledge, store, env)
        before = {p: p.read_bytes() for p in knowledge.rglob("*") if p.is_file()}
        port = free_port()
        server = start_server(store, port, env, Path(tmp) / "server.log")
        try:
            wait_ready(port, server)
            latencies: list[tuple[float, float]] = []
            stop = threading.Event()
            asker = threading.Thread(target=ask_forever, args=(port, stop, latencies), daemon=True)
            asker.start()
            time.sleep(10)
            uploads_started = time.perf_counter()
            rows = []
            for what, name, data in files:
                status, message, took = upload(port, name, data)
                rows.append({"what": what, "bytes": len(data), "status": status, "seconds": round(took, 2),
                             "message": message[:140]})
            stop.set()
            asker.join()
            memory = serving_memory(server.pid)
        finally:
            server.terminate()
            server.wait(30)
        after = {p: p.read_bytes() for p in knowledge.rglob("*") if p.is_file()}
        added = sorted(str(p.relative_to(knowledge)) for p in after.keys() - before.keys())
        changed = sorted(str(p.relative_to(knowledge)) for p in before if p in after and before[p] != after[p])
    calm = [d for t, d in latencies if t < uploads_started]
    busy = [d for t, d in latencies if t >= uploads_started]
    print_table(["upload", "bytes", "status", "s", "message"],
                [[r["what"], r["bytes"], r["status"], r["seconds"], r["message"]] for r in rows])
    figures = {
        "answers_before": {"n": len(calm), "p50_ms": round(statistics.median(calm) * 1000, 1), "p95_ms": round(pct(calm, 95) * 1000, 1)},
        "answers_during_uploads": {"n": len(busy), "p50_ms": round(statistics.median(busy) * 1000, 1),
                                   "p95_ms": round(pct(busy, 95) * 1000, 1), "max_ms": round(max(busy) * 1000, 1)},
        "server_memory_mb": memory, "knowledge_added": added, "knowledge_changed": changed, "uploads": rows,
    }
    print(json.dumps({k: v for k, v in figures.items() if k != "uploads"}, indent=1))
    write_results("hostile_upload_bench.json", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
