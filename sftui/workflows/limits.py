"""Size limits for imported workflows.

Imports come from files users found on the internet; these bounds keep a
hostile or broken file from exhausting memory or the stack. Each limit is
named in the error that enforces it so the user knows what was exceeded.
"""

from __future__ import annotations

from typing import Any

from sftui.errors import WorkflowError

#: Largest JSON document (bytes) accepted as a workflow.
MAX_JSON_BYTES = 25 * 1024 * 1024
#: Most nodes in a workflow (root graph plus subgraph definitions, or a flattened prompt).
MAX_NODES = 5_000
#: Largest PNG text chunk, before or after decompression.
MAX_PNG_TEXT_CHUNK = 30 * 1024 * 1024
#: Largest PNG file read for metadata.
MAX_PNG_BYTES = 200 * 1024 * 1024
#: Deepest nesting of JSON containers; deeper documents are not workflows and
#: would overflow recursive code (json, deepcopy) further down.
MAX_JSON_DEPTH = 100
#: Longest A1111 infotext accepted.
MAX_INFOTEXT_CHARS = 1024 * 1024


def megabytes(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n} bytes"


def check_depth(value: Any, *, source: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise when ``value`` nests containers deeper than ``limit`` (iteratively, no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > limit:
            raise WorkflowError(f"{source} nests JSON more than {limit} levels deep (limit MAX_JSON_DEPTH); it is not a workflow")
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list, tuple)))


def check_node_count(count: int, *, source: str, what: str = "nodes") -> None:
    if count > MAX_NODES:
        raise WorkflowError(f"{source} has {count} {what}, more than the limit of {MAX_NODES} (MAX_NODES)")


def check_unicode(value: Any, *, source: str) -> None:
    """Raise on a lone surrogate (JSON's ``"\\ud800"``): valid JSON, but no UTF-8 database or terminal can hold it."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise WorkflowError(
                    f"{source} holds an unpaired surrogate (\\u{ord(item[exc.start]):04x}) in a string; it is not valid Unicode text"
                ) from None
