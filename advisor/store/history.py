"""Which versions served, and in what order, read from the audit log: what a rollback returns to, which version
last passed its checks, and what pruning must keep.

The audit log is the record: a publish makes a version serve; a rollback either goes *back* (undoing the serving
version, like a browser's back button) or *to* a named version. Replaying them gives a stack of served versions whose
top is the serving one; "roll back" serves the entry below it.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable


def _served_events(entries: Iterable[dict]) -> list[dict]:
    return [e for e in entries if e.get("version") and (
        e.get("action") == "rollback" or e.get("action") == "publish" and e.get("result") == "published")]


def served_stack(entries: Iterable[dict]) -> list[str]:
    """The versions that served, oldest first, with every version undone by a rollback taken off."""
    stack: list[str] = []
    for event in _served_events(entries):
        version = event["version"]
        if event.get("action") == "rollback" and event.get("back"):
            if stack:
                stack.pop()  # the version rolled back from
            while stack and stack[-1] != version:  # versions skipped because they were gone
                stack.pop()
        if not stack or stack[-1] != version:
            stack.append(version)
    return stack


def rollback_target(entries: Iterable[dict], current: str | None, existing: Collection[str]) -> str | None:
    """The version that served before the serving one and was not undone since, if it still exists."""
    stack = served_stack(entries)
    if stack and stack[-1] == current:
        stack.pop()
    return next((v for v in reversed(stack) if v != current and v in existing), None)


def last_good(entries: Iterable[dict], existing: Collection[str]) -> str | None:
    """The newest version published because its checks passed (not forced, the gate ran), if it still exists."""
    for event in reversed(_served_events(entries)):
        checks = event.get("checks")
        if (event.get("action") == "publish" and not event.get("forced") and isinstance(checks, dict) and checks.get("ok")
                and event["version"] in existing):
            return str(event["version"])
    return None


def protected(entries: Iterable[dict], current: str | None, existing: Collection[str], keep: int) -> set[str]:
    """The versions pruning must keep: the serving one, the one a rollback returns to, the last good one, every
    version that served in the last `keep` publishes and rollbacks, and the newest `keep` by number."""
    entries = list(entries)
    served = [e["version"] for e in _served_events(entries)]
    kept = {current, rollback_target(entries, current, existing), last_good(entries, existing), *served[-keep:]}
    kept.update(sorted(existing)[-keep:])
    return {v for v in kept if v in existing}
