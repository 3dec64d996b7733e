"""Plumbing for the corpus tests: the manifest, running the CLI, counting rows, checking inertness."""

from __future__ import annotations

import re
import sqlite3
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.corpus.build_corpus import ALL_TEXT, HOSTILE, UI_TEXT

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
TABLES = ("profiles", "comfyui_sessions", "comfyui_workflows", "comfyui_generations", "schema_migrations")

# What must never reach a terminal raw: C0 controls but tab/newline (ESC, BEL, CR...), DEL,
# C1 controls (8-bit CSI/OSC/ST) and bidi overrides/isolates.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
C0_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")


@dataclass(frozen=True)
class Case:
    source: str  # file name in files/, or "generated:<function>"
    expect: dict[str, str] = field(default_factory=dict)
    commands: tuple[str, ...] = ("import",)
    ok: bool = False
    warning: str | None = None
    name: str | None = None
    subprocess: bool = False

    @property
    def generated(self) -> str | None:
        return self.source.split(":", 1)[1] if self.source.startswith("generated:") else None

    def expected(self, command: str) -> str:
        return self.expect[command] if command in self.expect else self.expect["*"]

    def verbatim(self) -> str:
        """The text an ok case must store exactly (the positive prompt it carries)."""
        if self.source.startswith("text-") and self.source != "text-ui-titles.json":
            return HOSTILE[self.source.removeprefix("text-").removesuffix(".json")]
        if self.source == "text-ui-titles.json":
            return UI_TEXT
        if self.source == "a1111-hostile-text.txt":
            return ALL_TEXT
        return "a red fox"


def load_cases() -> list[Case]:
    raw = tomllib.loads((HERE / "cases.toml").read_text(encoding="utf-8"))["case"]
    cases = []
    for entry in raw:
        source = entry.get("file") or f"generated:{entry['generated']}"
        expect = entry.get("expect")
        cases.append(
            Case(
                source=source,
                expect=dict(expect) if isinstance(expect, dict) else ({"*": expect} if expect else {}),
                commands=tuple(entry.get("commands", ["import"])),
                ok=bool(entry.get("ok", False)),
                warning=entry.get("warning"),
                name=entry.get("name"),
                subprocess=bool(entry.get("subprocess", False)),
            )
        )
    return cases


def counts(db: Path) -> dict[str, int]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def rows(db: Path, sql: str, *args: Any) -> list[sqlite3.Row]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def assert_inert(text: str, *, what: str, c0_only: bool = False) -> None:
    found = (C0_CONTROL if c0_only else RAW_CONTROL).search(text)
    assert found is None, f"raw U+{ord(found.group()):04X} in {what}: {text[max(0, found.start() - 40) : found.end() + 40]!r}"


def error_line(err: str) -> str:
    """The one line a refused input gives: no traceback, no second line."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("sftui: error: "), err
    return lines[0]


def strings_in(value: Any) -> set[str]:
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            found.add(item)
    return found
