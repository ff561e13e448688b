"""The widget shows a checked summary above the quotes, labelled as generated, in headless Chromium."""
from __future__ import annotations

import shutil

import pytest

from bench.fake_chat import honest, writing
from bot.serve import Runtime

from .conftest import make_settings
from .test_widget_browser import ask, page, serving, shot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def summarizing_site(built_store, tmp_path_factory, embedder):
    """The real server, its advisor asking a fake chat model that writes an honest summary."""
    tmp = tmp_path_factory.mktemp("summary-web")
    shutil.copytree(built_store, tmp / "store")
    services = Runtime(make_settings(tmp), embedder=embedder, chat_model=writing(honest))
    services.load()
    with serving(services) as url:
        yield url
    services.journal.close()


def test_the_summary_sits_above_the_quotes_under_its_label(summarizing_site, page):  # noqa: F811
    page.goto(summarizing_site + "/?lang=fr")
    page.get_by_role("button", name="Poser une question").click()
    answer = ask(page, "Puis-je continuer à travailler avec mon collègue russe sur notre projet commun ?")
    summary = answer.locator(".gen")
    assert summary.locator(".label").inner_text() == "Résumé généré — pas une consigne"
    assert summary.inner_text().split("\n")[-1].startswith("Les textes répondent à cette question [1].")
    above = summary.evaluate("(box) => !!(box.compareDocumentPosition(box.parentNode.querySelector('blockquote')) & 4)")
    assert above  # the quote follows the summary
    assert answer.locator("blockquote").count() >= 1 and page.problems == []
    shot(page, "widget-summary")
