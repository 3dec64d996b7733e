"""HTTP client for one ComfyUI server.

Every call maps transport failures to ``ServerUnreachable`` (naming the URL and
the reason) and bad answers to ``ServerError``/``PromptRejected`` with one-line
messages. Bodies are read with a size cap. Headers given here (e.g.
``Authorization``) go on every HTTP request and on the WebSocket, and are never
logged. No ``Origin`` header is ever sent: ComfyUI answers 403 to an Origin that
differs from Host.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import ssl
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import ValidationError

from sftui.comfy import cache
from sftui.comfy.httpio import DEFAULT_MAX_BODY, decode_json, display_url, httpx, one_line, read_capped, status_error, unreachable
from sftui.comfy.models import HistoryEntry, OutputRef, QueuedPrompt, QueueState
from sftui.errors import ServerError, SftuiError, UsageError, WorkflowError
from sftui.logs import prompts_logged

log = logging.getLogger(__name__)

OBJECT_INFO_MAX_BYTES = 50 * 2**20
QUEUE_MAX_BYTES = 64 * 2**20
_ERROR_BODY_MAX = 2**20
# Prompts reach the log only with log_prompts = true, and then at most this much of each.
_LOGGED_PROMPT_MAX = 64 * 1024


def normalize_base_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` without a trailing slash; anything else is a usage error."""
    cleaned = url.strip().rstrip("/")
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise UsageError(f"invalid ComfyUI URL {display_url(url.strip())!r}: expected http://host:port or https://host[/path]")
    return cleaned


def _tls_context(base_url: str, verify: bool) -> ssl.SSLContext | bool:
    """What httpx gets as ``verify``.

    For ``https://`` the caller's choice: ``True`` builds httpx's verifying context (the
    certifi bundle or ``SSL_CERT_FILE``), ``False`` is the ``verify_tls = false`` opt-out.
    For ``http://`` no request of this client uses TLS (every path is relative to the base
    URL and redirects are not followed; an ``https://`` proxy gets its own context from
    httpcore), yet httpx would still load the whole CA bundle (~30 ms) up front. So it gets
    a context that trusts no certificate: never used, and if it ever were, it would refuse
    rather than accept.
    """
    if urlsplit(base_url).scheme == "http":
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies hostnames and certificates; no CA loaded
    return verify


class ComfyClient:
    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None = None,
        headers: dict[str, str] | None = None,
        verify: bool = True,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        cache_dir: Path | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self.client_id = client_id or str(uuid.uuid4())
        self.headers = dict(headers or {})
        self.verify = verify
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.cache_dir = cache_dir
        parts = urlsplit(self.base_url)
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        self.ws_url = urlunsplit((ws_scheme, parts.netloc, parts.path + "/ws", f"clientId={quote(self.client_id, safe='')}", ""))
        self._timeouts = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=self.headers, verify=_tls_context(self.base_url, verify), timeout=self._timeouts)
        self._object_info: dict[str, Any] | None = None
        #: The node definitions in memory were read from the disk cache, not from the server.
        self.object_info_cached = False

    def __repr__(self) -> str:  # never show headers: they may carry credentials
        return f"ComfyClient({display_url(self.base_url)!r}, client_id={self.client_id!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ComfyClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    # -- prompts ---------------------------------------------------------------

    async def queue_prompt(
        self, prompt: dict[str, Any], *, extra_pnginfo: dict[str, Any] | None = None, front: bool = False, prompt_id: str | None = None
    ) -> QueuedPrompt:
        """Queue a prompt. ``prompt_id`` chooses its id (ComfyUI honours it since 2025; older
        servers pick their own, so always use the returned one)."""
        body: dict[str, Any] = {"prompt": prompt, "client_id": self.client_id}
        if prompt_id is not None:
            body["prompt_id"] = prompt_id
        if extra_pnginfo is not None:
            body["extra_data"] = {"extra_pnginfo": extra_pnginfo}
        if front:
            body["front"] = True
        try:
            content = json.dumps(body, allow_nan=False).encode("utf-8")
        except ValueError:
            raise WorkflowError("the prompt holds a number JSON cannot carry (NaN or infinity)") from None
        status, raw = await self._call("POST", "/prompt", content=content)
        if status == 200:
            data = decode_json(raw, self.base_url, "POST", "/prompt", status)
            if not isinstance(data, dict) or not isinstance(data.get("prompt_id"), str):
                raise ServerError(f"ComfyUI at {display_url(self.base_url)} accepted the prompt but returned no prompt_id")
            if data.get("node_errors"):
                raise self._rejected(data, prompt, status)
            number = data.get("number")
            log.info("queued prompt %s (%d nodes) on %s", data["prompt_id"], len(prompt), display_url(self.base_url))
            if prompts_logged():
                log.info("prompt %s as sent: %s", data["prompt_id"], content[:_LOGGED_PROMPT_MAX].decode("utf-8", "replace"))
            return QueuedPrompt(prompt_id=data["prompt_id"], number=number if isinstance(number, int) else None)
        if status == 400:
            data = decode_json(raw, self.base_url, "POST", "/prompt", status)
            if isinstance(data, dict) and ("error" in data or "node_errors" in data):
                raise self._rejected(data, prompt, status)
        # A 500 gives no reason; a UI-format graph sent as the prompt is the usual one.
        ui_format = status == 500 and "nodes" in prompt and "links" in prompt
        hint = "the prompt looks like a UI-format workflow; ComfyUI needs the API format" if ui_format else ""
        raise status_error(self.base_url, "POST", "/prompt", status, raw, hint=hint)

    def _rejected(self, data: dict, prompt: dict[str, Any], status: int) -> SftuiError:
        from sftui.comfy.rejection import prompt_rejected  # only when the server refuses

        if self.object_info_cached and self.cache_dir is not None:
            # Planned against cached node definitions the server just disagreed with
            # (a model removed, a node pack changed): the next plan reads them anew.
            cache.forget_object_info(self.cache_dir, display_url(self.base_url))
            self._object_info, self.object_info_cached = None, False
        return prompt_rejected(data, prompt, status=status)

    async def get_history(self, prompt_id: str) -> HistoryEntry | None:
        """The finished prompt's entry, or ``None`` while it is unknown or still running."""
        path = f"/history/{quote(prompt_id, safe='')}"
        data = await self._get_json(path)
        if not isinstance(data, dict):
            raise ServerError(f"ComfyUI at {display_url(self.base_url)} answered GET {path} with a non-object")
        entry = data.get(prompt_id)
        if not isinstance(entry, dict):
            if data:
                log.warning("GET %s answered an object without that prompt id; treating it as not finished", path)
            return None
        try:
            parsed = HistoryEntry.from_raw(prompt_id, entry)
            # Read every view the tracker will read now, so a malformed entry fails here, as a
            # ServerError callers handle, and not later inside a watcher task (which hung generate).
            parsed.output_refs(), parsed.error(), parsed.execution_time_s(), parsed.outcome_status(), parsed.fully_cached()
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(part) for part in err["loc"]) or "entry"
            raise self._malformed(path, f"{where}: {err['msg']}") from None
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            raise self._malformed(path, f"{type(exc).__name__}: {exc}") from None
        return parsed

    def _malformed(self, path: str, reason: str) -> ServerError:
        return ServerError(f"ComfyUI at {display_url(self.base_url)} answered GET {path} with a malformed entry ({one_line(reason)})")

    async def get_queue(self) -> QueueState:
        data = await self._get_json("/queue", max_bytes=QUEUE_MAX_BYTES)
        if not isinstance(data, dict):
            raise ServerError(f"ComfyUI at {display_url(self.base_url)} answered GET /queue with a non-object")
        return QueueState.from_raw(data)

    async def interrupt(self, prompt_id: str) -> None:
        """Interrupt this prompt only; an empty body would stop whatever runs, maybe someone else's."""
        if not prompt_id:
            raise UsageError("interrupt needs the id of the prompt to stop")
        await self._post_ok("/interrupt", {"prompt_id": prompt_id})

    async def delete_queued(self, prompt_ids: list[str]) -> None:
        """Remove pending prompts. The server answers 200 whether or not anything was deleted."""
        if prompt_ids:
            await self._post_ok("/queue", {"delete": list(prompt_ids)})

    async def system_stats(self) -> dict[str, Any]:
        data = await self._get_json("/system_stats")
        if not isinstance(data, dict):
            raise ServerError(f"ComfyUI at {display_url(self.base_url)} answered GET /system_stats with a non-object")
        return data

    # -- files and node definitions --------------------------------------------

    async def download_output(self, ref: OutputRef, dest: Path, *, max_bytes: int = 512 * 2**20) -> Path:
        """Stream ``/view`` into ``dest`` via a ``.part`` file, so ``dest`` is complete or absent."""
        dest = Path(dest)
        part = dest.with_name(dest.name + ".part")
        label = f"{ref.filename} (node {ref.node_id})"
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            async with self._http.stream("GET", "/view", params=ref.view_params()) as resp:
                if resp.status_code != 200:
                    body = await read_capped(resp, _ERROR_BODY_MAX, self.base_url, "GET", "/view")
                    err = status_error(self.base_url, "GET", "/view", resp.status_code, body)
                    raise ServerError(f"cannot download {label}: {err.message}", details={**err.details, "file": ref.model_dump()})
                await self._stream_to(resp, part, max_bytes, label)
            os.replace(part, dest)
        except httpx.TransportError as exc:
            raise unreachable(self.base_url, exc, "GET", "/view", self._timeouts) from exc
        except OSError as exc:
            raise SftuiError(f"cannot write {dest}: {exc.strerror or exc}", details={"path": str(dest)}) from exc
        finally:
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)
        return dest

    async def _stream_to(self, resp: httpx.Response, part: Path, max_bytes: int, label: str) -> None:
        declared = resp.headers.get("content-length")
        too_big = ServerError(f"cannot download {label}: it is larger than {max_bytes / 2**20:g} MB", details={"limit_bytes": max_bytes})
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise too_big
        size = 0
        with part.open("wb") as fh:
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise too_big
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())

    async def get_object_info(self, *, refresh: bool = False) -> dict[str, Any]:
        """Node definitions: memory cache, then the disk cache for this server, then the server.

        A cached copy can be stale (a model added since, a node pack installed): callers
        that find something missing ask again with ``refresh=True`` (see ``object_info_cached``).
        """
        key = display_url(self.base_url)
        if not refresh and self._object_info is not None:
            return self._object_info
        if not refresh and self.cache_dir is not None:
            cached = await asyncio.to_thread(cache.load_object_info, self.cache_dir, key)
            if cached is not None:
                self._object_info, self.object_info_cached = cached, True
                return cached
        data = await self._get_json("/object_info", max_bytes=OBJECT_INFO_MAX_BYTES)
        if not isinstance(data, dict):
            raise ServerError(f"ComfyUI at {key} answered GET /object_info with a non-object")
        self._object_info, self.object_info_cached = data, False
        if self.cache_dir is not None:
            await asyncio.to_thread(cache.store_object_info, self.cache_dir, key, data)
        return data

    # -- plumbing --------------------------------------------------------------

    async def _call(
        self, method: str, path: str, *, content: bytes | None = None, max_bytes: int = DEFAULT_MAX_BODY
    ) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            async with self._http.stream(method, path, content=content, headers=headers) as resp:
                return resp.status_code, await read_capped(resp, max_bytes, self.base_url, method, path)
        except httpx.TransportError as exc:
            raise unreachable(self.base_url, exc, method, path, self._timeouts) from exc

    async def _get_json(self, path: str, *, max_bytes: int = DEFAULT_MAX_BODY) -> Any:
        status, raw = await self._call("GET", path, max_bytes=max_bytes)
        if status != 200:
            raise status_error(self.base_url, "GET", path, status, raw)
        return decode_json(raw, self.base_url, "GET", path, status)

    async def _post_ok(self, path: str, body: dict[str, Any]) -> None:
        status, raw = await self._call("POST", path, content=json.dumps(body).encode("utf-8"), max_bytes=_ERROR_BODY_MAX)
        if status != 200:
            raise status_error(self.base_url, "POST", path, status, raw)
