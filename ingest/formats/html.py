"""HTML pages: the main text's block elements, the page's title, language and author."""
from __future__ import annotations

from advisor.documents import Block
from advisor.errors import DocumentError
from advisor.text import collapse_space

from . import Extracted

_HTML_DROP = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg", "button"]
_SEPARATED = ["address", "article", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "h1", "h2", "h3", "h4",
              "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table", "tbody", "td", "th", "thead", "tr", "ul"]
_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "dd", "dt", "td", "th", "figcaption"]


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
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_SEPARATED):  # block-level: its text stands apart; inline markup joins as shown
        tag.insert_before(" ")
        tag.insert_after(" ")
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks = []
    for tag in root.find_all(_HTML_BLOCKS):
        if tag.find_parent(_HTML_BLOCKS):  # nested: its text is part of the outer block
            continue
        text = collapse_space(tag.get_text())  # inline markup joins as the page shows it: "<b>important</b>." stays "important."
        if text:
            level = int(tag.name[1]) if tag.name[0] == "h" and tag.name[1:].isdigit() else 0
            blocks.append(Block(text, level))
    if not blocks:
        blocks = [Block(line) for line in (collapse_space(s) for s in root.get_text("\n").split("\n")) if line]
    if not blocks:
        raise DocumentError(name, "the HTML page has no text")
    return Extracted(blocks, title or next((b.text for b in blocks if b.heading_level), ""), fields)
