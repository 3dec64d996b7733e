"""Make text from users and servers inert before Textual displays it.

Prompts, titles, file names and server error messages can hold Rich/Textual
markup (``[bold]``, ``[@click=app.quit]``, ``[$accent]``), terminal escape
sequences (ESC, CSI, OSC 52...) and bidi overrides that reorder what the user
reads (§9.3's XSS concern, in a terminal). Everything here turns such text into
something that is shown literally and can never act:

- ``inert(text)`` -> ``str`` with control characters and bidi controls written
  as visible ``\\xNN`` / ``\\uNNNN`` escapes (newlines and tabs kept unless
  ``single_line``).
- ``inert_content(text)`` -> a Textual ``Content`` that is never parsed as
  markup; hand it to ``Static``, ``Label``, ``Button``, ``Option``, ``Select``.
- ``inert_markup(template, **values)`` -> ``Content`` from *your own* markup
  template with user values substituted as plain text (``$name`` variables).
- ``escape_markup(text)`` -> ``str`` for APIs that only take a markup string
  (``notify(...)`` — or pass ``markup=False`` there instead).
"""

from __future__ import annotations

import re

from textual.content import Content

__all__ = ["escape_markup", "inert", "inert_content", "inert_markup", "one_line"]

# Bidi embeddings/overrides/isolates plus the invisible marks that reorder text.
_BIDI_CONTROLS = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
# Line/paragraph separators break a line where the layout does not expect it.
_LINE_SEPARATORS = frozenset({0x2028, 0x2029})
_WHITESPACE_RUN = re.compile(r"\s+")


def _escape_char(ch: str, keep: str) -> str:
    code = ord(ch)
    if ch in keep:
        return ch
    if code < 0x20 or 0x7F <= code < 0xA0:
        return f"\\x{code:02x}"
    if code in _BIDI_CONTROLS or code in _LINE_SEPARATORS:
        return f"\\u{code:04x}"
    return ch


def inert(text: object | None, *, single_line: bool = False) -> str:
    """``text`` with every control character and bidi control shown as an escape.

    ``single_line`` folds runs of whitespace (newlines, tabs) into one space,
    for titles, list rows and notifications.
    """
    if text is None:
        return ""
    value = str(text)
    if single_line:
        value = one_line(value)
        keep = ""
    else:
        value = value.replace("\r\n", "\n")
        keep = "\n\t"
    if value.isprintable() and not any(ord(ch) in _BIDI_CONTROLS for ch in value):
        return value
    return "".join(_escape_char(ch, keep) for ch in value)


def one_line(text: str) -> str:
    """Whitespace runs (including newlines) folded into single spaces, ends trimmed."""
    return _WHITESPACE_RUN.sub(" ", text).strip()


def inert_content(text: object | None, *, single_line: bool = False, style: str = "") -> Content:
    """A ``Content`` showing ``text`` literally (never parsed as markup)."""
    content = Content(inert(text, single_line=single_line))
    return content.stylize(style) if style else content


def inert_markup(template: str, *, single_line: bool = True, **values: object) -> Content:
    """Render the trusted markup ``template`` with ``$name`` values inserted as plain text.

    ``inert_markup("[b]$title[/b] · $count images", title=session.title, count=3)``
    """
    safe = {name: inert(value, single_line=single_line) for name, value in values.items()}
    return Content.from_markup(template, **safe)


def escape_markup(text: object | None, *, single_line: bool = False) -> str:
    """``text`` made inert and with every ``[`` escaped, for a whole markup string.

    Textual's own ``markup.escape`` lets ``[$var]`` and ``[Bold]`` through; this
    escapes every opening bracket. Use it for a complete value only: a trailing
    backslash would escape a tag appended after it (use ``inert_markup`` then).
    """
    return inert(text, single_line=single_line).replace("[", "\\[")
