"""The README stays a page, and every path, link and command it or docs/ names exists in the repository."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_LIMIT = 12_000

# Pages the README links that other people write; they must be merged before this suite runs.
PAGES_WRITTEN_ELSEWHERE = ["docs/review.md", "docs/conversations.md", "docs/deploy.md", "docs/telegram.md",
                           "docs/question-sets.md"]

# A backticked word naming one of these is a path in the repository (var/ is made at run time).
REPO_TOP = {"advisor", "ingest", "bot", "integrations", "tests", "bench", "docs", "deploy", "eval", "knowledge", ".ci"}
REPO_FILES = {"Makefile", "pyproject.toml", "README.md"}

FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
ADVISOR_COMMAND = re.compile(r"\badvisor (\w+)([^#|;\n]*)")
MAKE_TARGET = re.compile(r"\bmake ([\w.-]+)")


def prose(text: str) -> str:
    """The page without its fenced blocks, whose examples may name files a reader would have."""
    return FENCE.sub("", text)


def links(page: Path) -> list[str]:
    """Relative link targets of a page (`other.md#section` or `#section`); web addresses are left out."""
    return [target for target in LINK.findall(prose(page.read_text(encoding="utf-8")))
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not target.startswith("/")]


def anchors(page: Path) -> set[str]:
    """The #fragments a page's headings answer to, spelt as GitHub spells them."""
    headings = re.findall(r"^#{1,6} +(.+?) *#*$", prose(page.read_text(encoding="utf-8")), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def reaches(page: Path, target: str) -> bool:
    """A link's file exists and, for a Markdown page, holds the heading its #fragment names."""
    path, _, fragment = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    if not linked.exists():
        return False
    return not fragment or linked.suffix != ".md" or fragment in anchors(linked)


def repo_paths(page: Path) -> list[str]:
    """Backticked words that name a file or folder of the repository."""
    found = []
    for code in INLINE_CODE.findall(prose(page.read_text(encoding="utf-8"))):
        for word in code.split():
            word = word.strip("()[],;:'\"")
            if any(mark in word for mark in "<>…{}$~") or "://" in word:
                continue
            top = word.split("/")[0]
            if (top in REPO_TOP and "/" in word) or word in REPO_FILES:
                found.append(word)
    return found


def exists(path: str) -> bool:
    """A repository path exists: a glob (`eval/public-faq.*`) matches something, a test id names a test in its file."""
    if any(mark in path for mark in "*?["):
        return any(ROOT.glob(path))
    path, _, test = path.partition("::")
    if test:
        return (ROOT / path).is_file() and f"def {test}(" in (ROOT / path).read_text(encoding="utf-8")
    return (ROOT / path).exists()


def code(text: str) -> list[str]:
    """The page's fenced blocks and inline code: where commands are written."""
    return [block.group(0) for block in FENCE.finditer(text)] + INLINE_CODE.findall(prose(text))


def advisor_commands(page: Path) -> list[tuple[str, list[str]]]:
    """Each `advisor SUBCOMMAND --option …` a page writes as code (a comment after # is not read)."""
    found = []
    for snippet in code(page.read_text(encoding="utf-8")):
        for command, rest in ADVISOR_COMMAND.findall(snippet):
            found.append((command, re.findall(r"(?<!\S)(--?[\w-]+)", rest)))
    return found


def subcommand_options() -> dict[str, set[str]]:
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices  # argparse has no public view
    return {name: {flag for action in sub._actions for flag in action.option_strings} for name, sub in choices.items()}


def test_the_readme_is_a_page():
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md has {size:,} characters; the limit is {README_LIMIT:,}: move detail to docs/"


def test_the_pages_written_elsewhere_are_in_place():
    missing = [page for page in PAGES_WRITTEN_ELSEWHERE if not (ROOT / page).is_file()]
    assert not missing, f"README.md links these pages, which are not in docs/: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_reaches_a_file(page):
    broken = [target for target in links(page) if not reaches(page, target)]
    assert not broken, f"{page.relative_to(ROOT)} links to what is not there: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_backticked_repository_path_exists(page):
    missing = [path for path in repo_paths(page) if not exists(path)]
    assert not missing, f"{page.relative_to(ROOT)} names paths that are not in the repository: {missing}"


def test_every_advisor_command_in_the_readme_exists_with_its_options():
    known = subcommand_options()
    wrong = [f"advisor {command} {' '.join(options)}".strip() for command, options in advisor_commands(README)
             if command not in known or not set(options) <= known[command]]
    assert not wrong, f"README.md names commands or options `advisor` does not have: {wrong}"


def test_every_make_target_in_the_readme_exists():
    targets = set(re.findall(r"^([\w.-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M))
    named = set(MAKE_TARGET.findall(README.read_text(encoding="utf-8")))
    assert named and named <= targets, f"README.md names make targets the Makefile lacks: {sorted(named - targets)}"


def test_the_checks_catch_what_they_should(tmp_path):
    """The checks above can fail: a missing link, a missing path and an unknown option are all found."""
    page = tmp_path / "page.md"
    page.write_text("# A page\nSee [gone](nowhere.md), [here](#a-page), [lost](#no-such-part), `bench/no_such_bench.py`, `tests/test_readme.py::test_gone` and "
                    "`advisor ingest --no-such-flag`.\n"
                    "```sh\nadvisor ingest knowledge/not-here.md\n```\n", encoding="utf-8")
    assert links(page) == ["nowhere.md", "#a-page", "#no-such-part"]
    assert [reaches(page, target) for target in links(page)] == [False, True, False]
    assert repo_paths(page) == ["bench/no_such_bench.py", "tests/test_readme.py::test_gone"]
    assert not any(exists(path) for path in repo_paths(page))
    assert exists("tests/test_readme.py::test_the_checks_catch_what_they_should") and exists("eval/public-faq.*")
    assert ("ingest", ["--no-such-flag"]) in advisor_commands(page)
    assert "--no-such-flag" not in subcommand_options()["ingest"]
