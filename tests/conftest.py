"""Shared fixtures: the real bundled models, and a real Chroma store built once per run for all xdist workers
(tests/shared_store.py)."""
from __future__ import annotations

import collections
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# The models' OpenMP threads sleep instead of spinning while they wait: the tests run servers, browsers and a
# second xdist worker beside the models, and spinning threads then take the cores from them (a question went from
# 40 ms to 2 s on a busy machine). Set before either engine loads; child processes inherit it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from advisor.answer import Advisor  # noqa: E402
from advisor.embeddings import batching_for  # noqa: E402
from advisor.settings import Settings  # noqa: E402
from bot.serve import Runtime  # noqa: E402

from . import shared_store  # noqa: E402

ROOT = shared_store.ROOT
KNOWLEDGE = shared_store.KNOWLEDGE


@pytest.fixture(autouse=True)
def _no_advisor_environment(monkeypatch):
    """Tests see only the settings they build: no ADVISOR_* variables or .env of the developer."""
    for key in list(os.environ):
        if key.startswith("ADVISOR_"):
            monkeypatch.delenv(key)
    monkeypatch.setitem(Settings.model_config, "env_file", None)


def make_settings(tmp: Path, **overrides) -> Settings:
    values = {"store_dir": tmp / "store", "knowledge_dir": KNOWLEDGE} | overrides
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def model_cache() -> Path:
    """The run's ONNX exports, shared by every xdist worker: child processes get it as ADVISOR_MODEL_CACHE_DIR,
    never the checkout's var/models."""
    return shared_store.models_dir()


@pytest.fixture(scope="session")
def embedder(model_cache):
    """The default models (multilingual e5 fused with all-MiniLM-L6-v2), loaded once per worker from the ONNX export
    the run's first process leaves, as a deployment runs them after its first start."""
    return shared_store.load_models()


@pytest.fixture(scope="session")
def built_store(tmp_path_factory, embedder) -> Path:
    """knowledge/ ingested once per run (by tests/shared_store.py, while the workers run the tests needing no store),
    each worker reading its own copy; tests that change a store copy it first."""
    return shutil.copytree(shared_store.build(embedder), tmp_path_factory.mktemp("kb") / "store")


def pytest_configure(config) -> None:
    """The run's first process (the xdist controller, or the only one) makes the directory its workers share."""
    if shared_store.RUN_DIR not in os.environ:
        shared_store.forget_old_runs()
        os.environ[shared_store.RUN_DIR] = tempfile.mkdtemp(prefix=f"advisor-tests-{os.getpid()}-")
        config.stash[_RUN_DIR_MADE] = Path(os.environ[shared_store.RUN_DIR])


@pytest.hookimpl(trylast=True)  # after -m and -k deselected what this run leaves out
def pytest_collection_modifyitems(config, items) -> None:
    """Files needing no built store first, then those needing it least (the builder works meanwhile), and among
    the first those needing no models before those that do (the builder exports them first); files with browser
    tests last, so that a worker's one browser (its Playwright loop) is started only once no asyncio test is left
    for it. Start the builder when a collected test needs the store."""
    files = [item.nodeid.split("::")[0] for item in items]
    sizes = collections.Counter(files)
    needs = collections.Counter(f for f, item in zip(files, items) if "built_store" in item.fixturenames)
    models = collections.Counter(f for f, item in zip(files, items) if "embedder" in item.fixturenames)
    browsers = collections.Counter(f for f, item in zip(files, items) if "browser" in item.fixturenames)
    order = {name: i for i, name in enumerate(dict.fromkeys(files))}
    rank = {item.nodeid: (browsers[f] > 0, needs[f] / sizes[f], models[f] > 0, order[f])
            for f, item in zip(files, items)}
    items.sort(key=lambda item: rank[item.nodeid])
    if needs and not config.option.collectonly:
        shared_store.start_builder()


def pytest_unconfigure(config) -> None:
    made = config.stash.get(_RUN_DIR_MADE, None)
    if made is not None:  # the run's first process, once every worker is done
        shared_store.stop_builder()
        shutil.rmtree(made, ignore_errors=True)


_RUN_DIR_MADE = pytest.StashKey[Path]()


@pytest.fixture
def store_copy(built_store, tmp_path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(built_store, target)
    return target


@pytest.fixture(scope="session")
def advisor(built_store, embedder, tmp_path_factory) -> Advisor:
    settings = Settings(_env_file=None, store_dir=built_store, knowledge_dir=KNOWLEDGE)
    return Advisor(settings, batching_for(embedder, settings.remembered_questions))  # as a Runtime holds the model


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def make_services(store_copy, tmp_path, embedder):
    """The real Runtime over a copy of the built store, sharing the session's loaded model."""
    made = []

    def make(**overrides) -> Runtime:
        services = Runtime(make_settings(tmp_path, **({"store_dir": store_copy} | overrides)), embedder=embedder)
        services.load()
        made.append(services)
        return services

    yield make
    for services in made:
        services.journal.close()
        services.review.close()


@pytest.fixture(scope="module")
def reading_services(built_store, tmp_path_factory, embedder) -> Iterator[Runtime]:
    """One real Runtime over one copy of the built store for a module's tests that only ask and read: loading one is
    most of such a test's time. A test that changes anything (feedback, the log, admin, limits) uses make_services."""
    target = tmp_path_factory.mktemp("reading") / "store"
    shutil.copytree(built_store, target)
    services = Runtime(make_settings(target.parent, store_dir=target), embedder=embedder)
    services.load()
    yield services
    services.journal.close()
    services.review.close()


CHROMIUM = os.environ.get("ADVISOR_TEST_CHROMIUM", "/usr/bin/chromium")
# Every browser context is a window of its own, and Chromium 156 starts each window's omnibox popups (WebUI pages)
# in a renderer of their own: half a second of CPU per test for an address bar no test sees. A second
# --disable-features replaces Playwright's, so Playwright's own list (1.65) comes first.
_PLAYWRIGHTS_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,"
    "LensOverlay,MediaRouter,PaintHolding,ThirdPartyStoragePartitioning,AvoidCorsURLLoaderRestartOnRedirect,"
    "TcpPortRandomizationWin,OptimizationHints,NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch,"
    "msForceBrowserSignIn,msEdgeUpdateLaunchServicesPreferredVersion")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 f"--disable-features={_PLAYWRIGHTS_DISABLED_FEATURES},WebUIOmniboxPopup,WebUIOmniboxAimPopup"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright, once per worker: each browser test opens a context of its own in it."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Browser tests need Debian's Chromium at {CHROMIUM}: apt-get install -y chromium (or make chromium).")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    """A real `chroma run` on a free loopback port for the whole run (each test keeps to its own prefix)."""
    data = tmp_path_factory.mktemp("chroma-data")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(data.parent / f"chroma-{port}.log", "w+") as log:
        server = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--host", "127.0.0.1", "--port",
                                   str(port), "--path", str(data)], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not chroma_answers(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"`chroma run` did not start on {url}: {log.read()[-2000:]}")
                time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            server.wait(10)


# One client for the tests' polling of servers on this machine: a new one per request loads the CA bundle each time.
# It keeps cookies (those of 127.0.0.1 ignore the port): not for /admin, whose session would go from server to server.
LOOPBACK = httpx.Client(timeout=5)


def chroma_answers(url: str) -> bool:
    try:
        return LOOPBACK.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
