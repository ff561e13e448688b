"""The operator's files in deploy/, read the way systemd reads them, so that tests start processes from them."""
from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
ENV_EXAMPLE = DEPLOY / "advisor.env.example"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile= reads them: '#' or ';' starts a comment only at the start of a
    line (a '# …' after a value is part of the value), and quotes around a whole value are removed."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, equals, value = line.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key.strip()):
            raise ValueError(f"{path}:{number}: not a KEY=value line: {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def write_env_file(target: Path, settings: Mapping[str, str], example: Path = ENV_EXAMPLE) -> Path:
    """What an operator does with the example: each setting replaces its line (commented out or not), or is added."""
    lines = example.read_text().splitlines()
    for key, value in settings.items():
        found = [i for i, line in enumerate(lines) if re.match(rf"#?\s*{key}=", line)]
        if found:
            lines[found[0]] = f"{key}={value}"
        else:
            lines.append(f"{key}={value}")
    target.write_text("\n".join(lines) + "\n")
    return target


@dataclass(frozen=True)
class Service:
    working_directory: str
    environment: dict[str, str]
    command: list[str]


def unit_service(unit: Path, instance: str = "", paths: Mapping[str, str] | None = None) -> Service:
    """How systemd would start `unit` (instance `instance` of a template): its working directory, the environment it
    gives the process and the command. `paths` maps the unit's paths to this machine's, longest first.

    Precedence as systemd's: Environment=, then EnvironmentFile= (which overrides it), then an `/usr/bin/env K=V`
    at the start of ExecStart= (which overrides both)."""
    paths = paths or {}

    def here(value: str) -> str:
        value = value.replace("%i", instance)
        for theirs in sorted(paths, key=len, reverse=True):
            value = value.replace(theirs, paths[theirs])
        return value

    directives: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        key, equals, value = line.partition("=")
        if equals and not line.startswith(("#", ";", "[")):
            directives.setdefault(key.strip(), []).append(here(value.strip()))
    environment: dict[str, str] = {}
    for assignments in directives.get("Environment", []):
        environment |= dict(word.split("=", 1) for word in shlex.split(assignments))
    for file in directives.get("EnvironmentFile", []):
        optional = file.startswith("-")
        path = Path(file.removeprefix("-"))
        if path.exists() or not optional:
            environment |= read_env_file(path)
    [start] = directives["ExecStart"]
    command = shlex.split(start)
    if command[0] == "/usr/bin/env":
        command.pop(0)
        while command and "=" in command[0]:
            key, _, value = command.pop(0).partition("=")
            environment[key] = value
    [directory] = directives.get("WorkingDirectory", ["/"])
    return Service(directory, environment, command)
