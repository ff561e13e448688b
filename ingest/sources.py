"""The files a version is built from, kept by content in the store: any version can be rebuilt, and a rollback
restores the knowledge folder, so no admin action loses a file.

A *file set* maps a name relative to the knowledge folder ("guidance/a.md", "checks.jsonl") to its bytes. A
version's manifest records its file set as name -> SHA-256; the bytes live once each in `<store>/sources/`.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from advisor.errors import AdvisorError, DocumentError, StoreError
from advisor.files import write_bytes_atomically

from .discover import discover
from .formats.markdown import front_matter
from .formats.plain import decode

FileSet = dict[str, bytes]


@dataclass(frozen=True)
class Change:
    """What a new version does to the knowledge's files, by name relative to the knowledge folder."""

    put: Mapping[str, bytes] = field(default_factory=dict)  # added or replaced
    remove: frozenset[str] = frozenset()  # taken out, with nothing in their place
    label: str = ""  # what the audit log calls it: "upload a.pdf", "remove b.md"

    def __bool__(self) -> bool:
        return bool(self.put or self.remove)

    def applied_to(self, files: Mapping[str, bytes]) -> FileSet:
        return {name: data for name, data in files.items() if name not in self.remove} | dict(self.put)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checked_name(name: str) -> str:
    """A relative name that stays inside the knowledge folder: no absolute paths, no '..', no hidden parts."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or any(part in ("", ".", "..") or part.startswith((".", "_")) for part in path.parts):
        raise StoreError(f"{name!r} is not a file name inside the knowledge folder.")
    return path.as_posix()


def read_inputs(paths: Sequence[Path]) -> FileSet:
    """The files under `paths`, by name relative to the folder each was found in (a file given alone: its name)."""
    files: FileSet = {}
    origin: dict[str, Path] = {}
    for path, name in discover(paths):
        data = path.read_bytes()
        if name in files and files[name] != data:
            raise DocumentError(name, f"two different files have this name: {origin[name]} and {path}; give one of them")
        files[name], origin[name] = data, path
    return files


def companions(files: Mapping[str, bytes], document: str) -> set[str]:
    """The files that belong to `document` and go with it: its sidecar, translations and attached questions."""
    found = {f"{document}.meta.yaml"} & set(files)
    for name, data in files.items():
        if not name.endswith(".md") or name == document:
            continue
        try:
            fields, _ = front_matter(name, decode(data, name))
        except AdvisorError:
            continue  # a broken file names itself when the version is built
        if document in (str(fields.get("translation_of", "")).strip(), str(fields.get("questions_for", "")).strip()):
            found.add(name)
    return found


def materialize(files: Mapping[str, bytes], folder: Path) -> None:
    """Write a file set into an empty folder, as a knowledge folder the build reads."""
    for name, data in files.items():
        target = folder / checked_name(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


class SourceArchive:
    """Every file any kept version was built from, stored once by content: `<store>/sources/<sha256>`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def keep(self, files: Mapping[str, bytes]) -> dict[str, str]:
        """Store the files (each once) and return their names with their digests, for the manifest."""
        hashes = {}
        for name, data in files.items():
            hashes[name] = key = digest(data)
            target = self.root / key
            if not target.exists():
                write_bytes_atomically(target, data)
        return dict(sorted(hashes.items()))

    def files(self, hashes: Mapping[str, str], fallback: Path | None = None) -> FileSet:
        """The bytes of a recorded file set; a file missing here may be taken from `fallback` when its content matches."""
        found: FileSet = {}
        missing = []
        for name, key in hashes.items():
            data = _read(self.root / key)
            if data is None and fallback is not None:
                candidate = _read(fallback / checked_name(name))
                data = candidate if candidate is not None and digest(candidate) == key else None
            if data is None:
                missing.append(name)
            else:
                found[name] = data
        if missing:
            raise StoreError(f"The files of this version are not all kept in {self.root}: {', '.join(sorted(missing))}. "
                             "Build from the files themselves with `advisor ingest --exact PATH`.")
        return found

    def prune(self, used: Iterable[str]) -> None:
        """Delete the files no kept version uses."""
        keep = set(used)
        if self.root.is_dir():
            for path in self.root.iterdir():
                if re.fullmatch(r"[0-9a-f]{64}", path.name) and path.name not in keep:
                    path.unlink(missing_ok=True)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


class Trash:
    """Where files taken out of the knowledge folder go, one folder per act: `<store>/trash/<time>-<what>/<name>`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, what: str) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        folder = self.root / f"{stamp}-{re.sub(r'[^A-Za-z0-9._-]+', '-', what)[:60]}"
        n = 1
        while folder.exists():
            n += 1
            folder = folder.with_name(f"{folder.name.rsplit('~', 1)[0]}~{n}")
        return folder

    def holds(self, name: str, key: str) -> bool:
        """Whether some act moved this very file (name and content) from the knowledge folder to the trash."""
        return any(digest(path.read_bytes()) == key for path in self.root.glob(f"*/{checked_name(name)}") if path.is_file())

    @staticmethod
    def move(knowledge: Path, name: str, folder: Path) -> bool:
        """Move knowledge/<name> into the trash folder; False when there was no such file."""
        source = knowledge / checked_name(name)
        if not source.is_file():
            return False
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)
        return True
