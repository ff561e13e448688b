"""The admin page's figures: the questions and feedback of the last two weeks, as numbers, a table and a chart."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

from ..services import Services


def figures_section(services: Services, say) -> str:
    """Questions and feedback: how many, the shares declined and rated not helpful, per language and per day."""
    journal = services.journal
    stats = journal.stats()
    since = (datetime.now(UTC) - timedelta(days=13)).date()
    days = [(since + timedelta(days=n)).isoformat() for n in range(14)]
    daily = journal.daily(days[0])
    asked = {d: sum(r[2] for r in daily if r[0] == d) for d in days}
    declined = {d: sum(r[3] for r in daily if r[0] == d) for d in days}
    languages: dict[str, int] = {}
    for _, lang, n, _ in daily:
        languages[lang] = languages.get(lang, 0) + n
    total = stats["questions"] or 0
    share = (lambda n: f"{n / total:.0%}") if total else (lambda n: "—")
    unanswered = sorted((e for e in services.review.entries() if e.reason == "declined"), key=lambda e: -e.count)[:8]
    most = "".join(f"<li>{escape(e.question)} ({e.count}×)</li>" for e in unanswered) or f"<li>{say('none')}</li>"
    table = "".join(f"<tr><th scope=\"row\">{d}</th><td>{asked[d]}</td><td>{declined[d]}</td></tr>" for d in days if asked[d])
    by_language = ", ".join(f"{lang}: {n}" for lang, n in sorted(languages.items())) or say("none")
    return (f'<section id="figures" aria-labelledby="figures-h"><h2 id="figures-h">{say("figures")}</h2>'
            f'<dl><dt>{say("questions")}</dt><dd>{total}</dd><dt>{say("share_declined")}</dt><dd>{share(stats["not_covered"])}</dd>'
            f'<dt>{say("share_down")}</dt><dd>{share(stats["not_helpful"])}</dd><dt>{say("by_language")}</dt><dd>{escape(by_language)}</dd></dl>'
            f'<figure><figcaption>{say("per_day")}</figcaption>{_chart(days, asked, declined, say("per_day"))}</figure>'
            f'<table><thead><tr><th scope="col">{say("day")}</th><th scope="col">{say("questions")}</th>'
            f'<th scope="col">{say("declined")}</th></tr></thead><tbody>{table}</tbody></table>'
            f'<h3>{say("most_asked")}</h3><ol>{most}</ol></section>')


def _chart(days: list[str], asked: dict[str, int], declined: dict[str, int], label: str) -> str:
    """Bars per day: the whole bar asked, its darker lower part declined. Inline SVG, no script."""
    top = max([*asked.values(), 1])
    width, height, bar = 28 * len(days), 120, 20
    bars = []
    for n, day in enumerate(days):
        x = n * 28 + 4
        h_all, h_declined = round(100 * asked[day] / top), round(100 * declined[day] / top)
        bars.append(f'<g><title>{day}: {asked[day]} / {declined[day]}</title>'
                    f'<rect x="{x}" y="{105 - h_all}" width="{bar}" height="{h_all}" fill="#8fb3d9"/>'
                    f'<rect x="{x}" y="{105 - h_declined}" width="{bar}" height="{h_declined}" fill="#1f4e79"/>'
                    f'<text x="{x + bar / 2}" y="117" font-size="8" text-anchor="middle">{day[8:]}</text></g>')
    return (f'<svg role="img" aria-label="{escape(label, quote=True)}" viewBox="0 0 {width} {height}" width="{width * 2}" '
            f'height="{height * 2}" xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg>')
