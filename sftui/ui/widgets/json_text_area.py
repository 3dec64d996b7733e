"""A TextArea for workflow JSON, highlighted even without tree-sitter installed."""

from __future__ import annotations

import re

from textual._tree_sitter import TREE_SITTER, get_language
from textual.widgets import TextArea

# One JSON token per match; strings cannot span lines in JSON, so lines are independent.
_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*"?)(?P<key>\s*:)?'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<boolean>\btrue\b|\bfalse\b)"
    r"|(?P<null>\bnull\b)"
    r"|(?P<bracket>[\[\]{}])"
    r"|(?P<delimiter>[,:])"
)
_NAMES = {"number": "number", "boolean": "boolean", "null": "json.null", "bracket": "punctuation.bracket", "delimiter": "punctuation.delimiter"}


def _has_native_json() -> bool:
    if not TREE_SITTER:
        return False
    try:
        return get_language("json") is not None
    except Exception:  # a broken optional install must not break the viewer
        return False


def json_highlights(line: str) -> list[tuple[int, int, str]]:
    """(start byte, end byte, highlight name) for one line, names as in Textual's json.scm."""
    ascii_only = line.isascii()

    def byte(i: int) -> int:
        return i if ascii_only else len(line[:i].encode("utf-8"))

    out = []
    for match in _TOKEN.finditer(line):
        kind = match.lastgroup if match.lastgroup != "key" else "string"
        if match.group("string") is not None:
            start, end = match.span("string")
            out.append((byte(start), byte(end), "json.label" if match.group("key") else "string"))
        elif kind in _NAMES:
            start, end = match.span()
            out.append((byte(start), byte(end), _NAMES[kind]))
    return out


class JsonTextArea(TextArea):
    """JSON with line numbers and syntax colours (tree-sitter when installed, else a line tokenizer)."""

    def __init__(self, text: str = "", *, read_only: bool = True, id: str | None = None) -> None:
        self._fallback = not _has_native_json()
        super().__init__(
            text,
            language=None if self._fallback else "json",
            read_only=read_only,
            show_line_numbers=True,
            soft_wrap=False,
            tab_behavior="focus" if read_only else "indent",
            id=id,
        )

    def _build_highlight_map(self) -> None:
        # TextArea only highlights through tree-sitter, an optional extra; without it
        # fill the same per-line map (Textual 8.2 internals, pinned) from a tokenizer.
        if not getattr(self, "_fallback", False):
            super()._build_highlight_map()
            return
        self._line_cache.clear()
        highlights = self._highlights
        highlights.clear()
        for row, line in enumerate(self.document.lines):
            found = json_highlights(line)
            if found:
                highlights[row].extend(found)
