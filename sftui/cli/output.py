"""The CLI's two voices: one line for people, the §5 envelope for ``--json``."""

from __future__ import annotations

import json
import re
import sys
from typing import Any, TextIO


def to_jsonable(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


# json.dumps escapes C0 controls but passes DEL, C1 controls (8-bit CSI/OSC) and bidi
# overrides through; escaping them too is lossless and keeps a piped-to-terminal line inert.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def dumps_inert(obj: Any, *, indent: int | None = None) -> str:
    """JSON text (non-ASCII kept readable) with no character a terminal would act on."""
    separators = None if indent is not None else (",", ":")
    text = json.dumps(to_jsonable(obj), ensure_ascii=False, indent=indent, separators=separators)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit_json(obj: Any, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write(dumps_inert(obj) + "\n")
    stream.flush()


def success(data: Any) -> dict[str, Any]:
    return {"success": True, "data": to_jsonable(data)}


def failure(error: dict[str, Any]) -> dict[str, Any]:
    return {"success": False, "error": error}


def one_line(text: str) -> str:
    """Errors are one line: a server's multi-line message is folded, not cut."""
    return " ".join(str(text).split())


_BIDI_CONTROLS = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def inert(text: str | None) -> str:
    """Text from users or servers, made safe to print: no escape sequence reaches the terminal.

    C0/C1 control characters (ESC, BEL, CSI, OSC...) and bidi overrides are shown as
    ``\\xNN`` / ``\\uNNNN`` instead of being interpreted; newlines and tabs are kept.
    """
    if not text:
        return ""
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch in "\n\t":
            out.append(ch)
        elif code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif code in _BIDI_CONTROLS:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
