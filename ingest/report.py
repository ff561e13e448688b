"""What one ingestion did; every door (CLI, Telegram, web) shows this same summary."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from .gate import REVIEW_CHECKS, CheckOutcome, Regression


@dataclass(frozen=True)
class Suspect:
    """A review decision that may have made a check regress: attached to the passage now quoted, or the decided
    question nearest to the check's."""

    entry: int
    decision: str  # attach | uncovered
    question: str
    why: str  # "attached to the passage now quoted" | "the nearest decided question"
    published_in: str | None = None  # None: carried by this build, so `advisor review undo` takes it back

    def line(self) -> str:
        said = f"review entry {self.entry} ({self.decision}, “{_cut(self.question, 70)}”), {self.why}"
        if self.published_in:
            return f"{said}: published in {self.published_in}"
        return f"{said}: `advisor review undo {self.entry}`"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


@dataclass
class IngestReport:
    version: str | None = None
    previous: str | None = None
    published: bool = False
    reason: str = ""
    documents: int = 0
    passages: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # documents kept from the serving version that the folder lacks
    passages_added: int = 0
    passages_removed: int = 0
    embedded: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why) left out on purpose
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason) that could not be read
    unfound: list[tuple[str, str]] = field(default_factory=list)  # (document, why): passages left out, not in its text
    untranslated: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # language -> document -> openings
    # of its paragraphs that have no translation into that language
    checks: CheckOutcome | None = None
    suspects: dict[str, list[Suspect]] = field(default_factory=dict)  # regressed check -> the decisions that may be why
    untaken: list[tuple[int, str]] = field(default_factory=list)  # (entry, question) marked not covered, still answered
    filled: dict[str, int] = field(default_factory=dict)  # a check in checks.answered -> the pending decision that made it
    forced: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        lines = []
        if self.published:
            lines.append(f"Published knowledge version {self.version}" + (" (forced)" if self.forced else "") + ".")
        elif self.version:
            lines.append(f"Built version {self.version} but did not publish it, and discarded it: {self.reason}")
        else:
            lines.append(self.reason or "Nothing was built.")
        lines.append(f"Documents: {self.documents} ({len(self.added)} added, {len(self.changed)} changed, "
                     f"{len(self.removed)} removed); passages: {self.passages} "
                     f"(+{self.passages_added} / -{self.passages_removed}); new embeddings: {self.embedded}.")
        for title, names in (("Added", self.added), ("Changed", self.changed), ("Removed", self.removed)):
            if names:
                lines.append(f"{title}: {', '.join(names)}")
        if self.kept:
            lines.append(f"Kept from the serving version, though no longer in the knowledge folder: {', '.join(self.kept)} "
                         "(to take a document out: `advisor remove NAME`).")
        if self.skipped:
            lines.append(f"Skipped: {len(self.skipped)}")
            lines.extend(f"  - {name}: {why}" for name, why in self.skipped)
        if self.failed:
            lines.append(f"Failed: {len(self.failed)}")
            lines.extend(f"  - {name}: {why}" for name, why in self.failed)
        if self.unfound:
            lines.append(f"Not found in their document's text, so left out: {len(self.unfound)} passages")
            lines.extend(f"  - {name}: {why}" for name, why in self.unfound)
        for language, documents in sorted(self.untranslated.items()):
            lines.append(f"Not (wholly) translated into {language}: {len(documents)} document{'s' if len(documents) > 1 else ''}")
            lines.extend(f"  - {name}: {_paragraphs(openings)}" for name, openings in documents.items())
        if self.checks and not self.checks.total:
            lines.append("Checks: none ran" + (f" ({self.checks.note})" if self.checks.note else "") + ".")
        elif self.checks:
            c = self.checks
            lines.append(_checks_line(c, self.previous))
            for document, ids in c.dropped.items():
                lines.append(f"  - the checks {', '.join(ids)} rely on {document}, which this version would drop")
            for r in c.regressions:
                lines.append(f"  - regressed {r.id}: {_regressed(r)}")
                lines.extend(f"      perhaps {s.line()}" for s in self.suspects.get(r.id, ()))
            if not c.ok and not self.published:
                undo = ("undo the review decision that caused it (`advisor review undo N`, or Undo on /admin) and "
                        "publish again; or " if any(not s.published_in for ss in self.suspects.values() for s in ss) else "")
                lines.append(f"To publish: {undo}fix the document; or, if the new answer is right, update the check in "
                             "checks.jsonl; or publish anyway with `advisor ingest --force` (recorded as forced).")
        lines.extend(self.answered_lines())
        lines.extend(self.untaken_lines())
        lines.append(f"Took {self.seconds:.1f} s.")
        return "\n".join(lines)

    def answered_lines(self) -> list[str]:
        """The questions marked not covered in the review that this build answers with new words: not a regression,
        but an answer an admin should read, and a decision to drop if it is right."""
        if not self.checks or not self.checks.answered:
            return []
        lines = [f"Now answered — was marked not covered in the review: “{_cut(r.question, 90)}” → {r.now_document} "
                 f"(“{_cut(r.now or '', 70)}”; check {r.id})" for r in self.checks.answered]
        pending = [self.filled[r.id] for r in self.checks.answered if r.id in self.filled and not self.published]
        drop = (" and ".join(f"`advisor review undo {entry}`" for entry in pending) + " (the decision is not published yet)"
                if pending else
                "delete the check's line (by its id) from checks.jsonl and the question's line from gaps.md (under "
                "“Questions an admin marked as not covered”), then run `advisor ingest`")
        # a refused build serves nothing new: rolling back would undo the change before it, not this one
        wrong = "fix the document, or roll back with `advisor rollback`" if self.published else "fix the document"
        return lines + [f"  Read the answer: if it is right, drop the old decision: {drop}; if it is wrong, {wrong}."]

    def untaken_lines(self) -> list[str]:
        """The not-covered decisions this version still answers: their gap did not take, their check guards nothing."""
        if not self.untaken:
            return []
        return ([f"Marked not covered, yet the version built still answers them (did not take): {len(self.untaken)}"]
                + [f"  - entry {entry}: “{_cut(question, 90)}”" for entry, question in self.untaken])


ROLLED_BACK = {  # what `RolledBack.summary` says, in English; a door passes its own language's sentences
    "rolled_back": "Now serving knowledge version {version}.",
    "rolled_back_moved": "Moved out of the knowledge folder into {trash}: {files}.",
    "rolled_back_restored": "Put back in the knowledge folder as they were in {version}: {files}.",
}


@dataclass(frozen=True)
class RolledBack:
    """What a rollback did: the version serving now, and the knowledge folder's files it moved to the trash or put back."""

    version: str
    previous: str | None
    trash: str | None = None  # the folder in the store's trash that received the files moved out of the knowledge folder
    moved: tuple[str, ...] = ()  # files moved into `trash`: an upload rolled back, or the newer content of one put back
    restored: tuple[str, ...] = ()  # files written back with their content of `version`

    def to_dict(self) -> dict:
        return asdict(self) | {"summary": self.summary()}

    def summary(self, say: Callable[..., str] | None = None) -> str:
        """A sentence a line; `say(key, **values)` words them in a door's language (keys as in ROLLED_BACK)."""
        say = say or (lambda key, **values: ROLLED_BACK[key].format(**values))
        lines = [say("rolled_back", version=self.version)]
        if self.moved:
            lines.append(say("rolled_back_moved", trash=self.trash, files=", ".join(self.moved)))
        if self.restored:
            lines.append(say("rolled_back_restored", version=self.version, files=", ".join(self.restored)))
        return "\n".join(lines)


def _checks_line(c: CheckOutcome, serving: str | None) -> str:
    """How many checks passed, and that those failing count against publishing only if they passed before."""
    said = f"Checks: {c.passed} of {c.total} passed"
    if c.baseline is None:
        return said + (f" ({c.note})." if c.note else ".")
    which = ("the serving version" if c.baseline == serving else
             f"the last version published because its checks passed, which did better than the serving {serving}")
    said += f", compared with {c.baseline} ({which})"
    failing = c.total - c.passed
    if not failing:
        return said + "."
    if not c.failed_before:
        said += f", which passed the other {failing}."
    else:
        said += f", which failed {'the' if c.failed_before == failing else f'{c.failed_before} of the'} other {failing} too."
    return (said + f" Only a check that passed in {c.baseline} and fails now keeps a version from being published"
            + (" (not a question marked not covered that this version answers with new words: below)."
               if c.answered else "."))


def _regressed(r: Regression) -> str:
    """What a regressed check's question got before and now, in words; why, when the passage it quoted tells."""
    if r.before is None:  # an `abstain` check: no passage was quoted, so none was changed or outranked
        why = " (it was marked not covered in the review)" if r.id.startswith(REVIEW_CHECKS) else ""
        return f"“{r.question}” was declined{why}; now it quotes “{r.now}”" + (f" from {r.now_document}" if r.now_document else "")
    if r.now is None:
        cause = "the passage it quoted was changed or removed" if r.touched else "the passage it quoted is unchanged"
        return f"“{r.question}” quoted “{r.before}”; now it is declined ({cause})"
    cause = ("the passage it quoted was changed or removed" if r.touched else
             "the passage it quoted is unchanged: another passage now ranks first")
    return f"“{r.question}” quoted “{r.before}”; now “{r.now}” ({cause})"


def _paragraphs(openings: list[str]) -> str:
    """How many paragraphs lack a translation and, when few, the words that open them: what an anchor holds."""
    count = f"{len(openings)} paragraph{'s' if len(openings) > 1 else ''} untranslated"
    return count + (" (" + "; ".join(f"“{o} …”" for o in openings) + ")" if len(openings) <= 3 else "")
