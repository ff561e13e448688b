"""Which files an ingestion reads, and a fingerprint that says whether any of them changed."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from advisor.errors import DocumentError

PIPELINE_VERSION = "5"  # bump when loading or chunking changes, so an unchanged tree is rebuilt once


def discover(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """Every file to consider, with its name relative to the folder it was found in."""
    found: list[tuple[Path, str]] = []
    for root in paths:
        root = Path(root)
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                rel = path.relative_to(root)
                if any(part.startswith((".", "_")) for part in rel.parts):
                    continue
                found.append((path, rel.as_posix()))
        elif root.exists():
            found.append((root, root.name))
        else:
            raise DocumentError(str(root), "no such file or folder")
    return found


def fingerprint(files: Mapping[str, bytes], model: str) -> str:
    """Of a file set (name -> bytes), the model and the pipeline: equal means there is nothing to rebuild."""
    digest = hashlib.sha256(f"{PIPELINE_VERSION}\n{model}\n".encode())
    for name in sorted(files):
        digest.update(f"{name}\0".encode())
        digest.update(hashlib.sha256(files[name]).digest())
    return digest.hexdigest()
