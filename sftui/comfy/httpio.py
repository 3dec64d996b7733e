"""HTTP plumbing shared by the client: size-capped reads and one-line errors.

sftui's modules import httpx through this one (``from sftui.comfy.httpio import
httpx``), because of how it is imported here: see ``_import_httpx``.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sftui.errors import ServerError, ServerUnreachable


class _DeclineHttpxCli:
    """A meta path finder that answers "not installed" for ``httpx._main`` only."""

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname == "httpx._main":
            raise ModuleNotFoundError("httpx's command line is not loaded by sftui", name=fullname)
        return None


def _import_httpx() -> None:
    """Import httpx without its command-line module.

    ``httpx/__init__.py`` runs ``try: from ._main import main / except ImportError``,
    and ``_main`` imports click, pygments and rich (~30 ms) whenever they are installed,
    only to define the ``httpx`` console script. For the length of that one import, a
    finder declines ``httpx._main``, so httpx takes its own documented fallback: in this
    process ``httpx.main`` is the stub that says the CLI extras are missing. Nothing else
    changes: no module is faked in ``sys.modules``, every other import (click, rich, and
    ``httpx._main`` itself, later) proceeds as usual, and a process that imported httpx
    before us keeps its httpx as it was.
    """
    if "httpx" in sys.modules:
        return
    finder = _DeclineHttpxCli()
    sys.meta_path.insert(0, finder)
    try:
        import httpx  # noqa: F401
    finally:
        sys.meta_path.remove(finder)


_import_httpx()

import httpx as httpx  # noqa: E402 - after _import_httpx, by design (explicit re-export)

DEFAULT_MAX_BODY = 16 * 2**20
_SNIPPET = 200


def display_url(url: str) -> str:
    """The URL without user:password, for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def one_line(text: str, limit: int = _SNIPPET) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def unreachable(base_url: str, exc: httpx.TransportError, method: str, path: str, timeouts: httpx.Timeout) -> ServerUnreachable:
    """Map a transport failure to ``ServerUnreachable`` naming the server and the reason."""
    if isinstance(exc, httpx.ConnectTimeout):
        reason = f"no connection within {timeouts.connect:g} s"
    elif isinstance(exc, httpx.ReadTimeout):
        reason = f"no answer to {method} {path} within {timeouts.read:g} s"
    elif isinstance(exc, httpx.TimeoutException):
        reason = f"{method} {path} timed out"
    elif isinstance(exc, httpx.ConnectError):
        reason = _connect_reason(exc)
    else:
        reason = f"the connection broke during {method} {path} ({one_line(str(exc)) or type(exc).__name__})"
    return ServerUnreachable(
        f"cannot reach ComfyUI at {display_url(base_url)}: {reason}",
        details={"url": display_url(base_url), "method": method, "path": path},
    )


def _connect_reason(exc: BaseException) -> str:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            return "host name not found"
        if isinstance(current, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted ({current.verify_message})"
        if isinstance(current, ssl.SSLError):
            return f"TLS error ({current.reason or current})"
        current = current.__cause__ or current.__context__
    return one_line(str(exc)) or "connection failed"


async def read_capped(response: httpx.Response, max_bytes: int, base_url: str, method: str, path: str) -> bytes:
    """Read a streamed body, refusing anything larger than ``max_bytes``."""
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(base_url, method, path, max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(base_url, method, path, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(base_url: str, method: str, path: str, max_bytes: int) -> ServerError:
    return ServerError(
        f"ComfyUI at {display_url(base_url)} answered {method} {path} with more than {max_bytes / 2**20:g} MB",
        details={"url": display_url(base_url), "path": path, "limit_bytes": max_bytes},
    )


def decode_json(body: bytes, base_url: str, method: str, path: str, status: int) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        text = body.decode("utf-8", "replace")
        raise ServerError(
            f"ComfyUI at {display_url(base_url)} answered {method} {path} (HTTP {status}) with something that is not JSON: "
            f"{one_line(text) or '(empty body)'}",
            details={"url": display_url(base_url), "path": path, "status": status, "body": text[:4000]},
        ) from None


def status_error(base_url: str, method: str, path: str, status: int, body: bytes, *, hint: str = "") -> ServerError:
    """A non-success answer; ComfyUI's 500s carry a plain-text body, which becomes the message."""
    text = body.decode("utf-8", "replace")
    phrase = httpx.codes.get_reason_phrase(status)
    # aiohttp's plain-text errors repeat the status line ("500 Internal Server Error\n\n...").
    shown = text.strip().removeprefix(f"{status} {phrase}").strip()
    return ServerError(
        f"ComfyUI at {display_url(base_url)} answered {method} {path} with HTTP {status} {phrase}"
        + (f": {one_line(shown)}" if shown else "")
        + (f" ({hint})" if hint else ""),
        details={"url": display_url(base_url), "path": path, "status": status, "body": text[:4000]},
    )
