"""HTML pages: the main text's blocks, joined as a browser lays them out; the page's title, language and author."""
from __future__ import annotations

from advisor.documents import Block
from advisor.errors import DocumentError
from advisor.text import collapse_space

from . import Extracted

_HTML_DROP = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg", "button"]
# Elements a browser lays out as blocks: their text never runs into the text beside them.
_SEPARATED = {"address", "article", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "h1", "h2", "h3", "h4",
              "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table", "tbody", "td", "th", "thead", "tr", "ul"}
# Blocks that are one passage each, whatever they hold; text between them in other containers is a block too.
_HTML_BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "dd", "dt", "td", "th", "figcaption"}


def read_html(name: str, data: bytes) -> Extracted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(_HTML_DROP):
        tag.decompose()
    fields: dict[str, str] = {}
    for key, meta_name in (("issuer", "author"), ("date", "date"), ("language", "language")):
        meta = soup.find("meta", attrs={"name": meta_name})
        if meta and meta.get("content"):
            fields[key] = str(meta["content"])
    if soup.html and soup.html.get("lang") and "language" not in fields:
        fields["language"] = str(soup.html["lang"]).split("-")[0]
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.head:
        soup.head.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_SEPARATED):  # inline markup joins as the page shows it: "<b>important</b>." is "important."
        tag.insert_before("\n")
        tag.insert_after("\n")
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks = _blocks(root)
    if not blocks:
        raise DocumentError(name, "the HTML page has no text")
    return Extracted(blocks, title or next((b.text for b in blocks if b.heading_level), ""), fields, root.get_text())


def _blocks(root) -> list[Block]:
    """Each block element whole; the loose text of a container between them, a block per run."""
    from bs4 import NavigableString, Tag

    blocks: list[Block] = []
    loose: list[str] = []

    def flush() -> None:
        text = collapse_space("".join(loose))
        if text:
            blocks.append(Block(text))
        loose.clear()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Tag) and child.name in _HTML_BLOCKS:
                flush()
                level = int(child.name[1]) if child.name[0] == "h" and child.name[1:].isdigit() else 0
                text = collapse_space(child.get_text())
                if text:
                    blocks.append(Block(text, level))
            elif isinstance(child, Tag) and (child.name in _SEPARATED or child.find(_HTML_BLOCKS)):
                flush()
                walk(child)
                flush()
            elif isinstance(child, Tag):
                loose.append(child.get_text())
            elif type(child) is NavigableString:  # not a comment, doctype or processing instruction
                loose.append(str(child))

    walk(root)
    flush()
    return blocks
