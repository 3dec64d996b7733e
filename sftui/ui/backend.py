"""The UI's one door to the services: storage calls, the runner's lifecycle, the local queue.

No Textual here. Two kinds of methods:

- plain methods wrap ``sftui.db`` (and the data directory it implies). They block,
  so the UI calls them only from ``@work(thread=True)`` workers; ``sftui.db`` gives
  each thread its own connection, so any worker may call any of them.
- ``async`` methods run on the app's event loop (async workers): connecting,
  generating, cancelling. Everything that happens later (progress, connection
  changes, locally queued requests) reaches the UI through ``listener``.

Generating while the server is away keeps the request here, in order, and submits
it when the WebSocket reports "connected" again: nothing is planned or written
before then, because planning needs the server's node definitions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from sftui.errors import NotFoundError, ServerUnreachable, SftuiError
from sftui.generation.service import GenerateRequest
from sftui.ui.local_queue import LocalQueueChanged, LocalRequest, LocalRequestFailed
from sftui.ui.settings import ConnectionView, UISettings

__all__ = [
    "Backend",
    "BackendNotice",
    "ConnectionView",
    "GenerateOutcome",
    "LocalQueueChanged",
    "LocalRequest",
    "LocalRequestFailed",
    "UISettings",
    "backend_of",
    "parse_api_prompt",
    "settings_of",
]

log = logging.getLogger(__name__)

CANCELLED = "cancelled by the user"
PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class BackendNotice:
    """Something the user should read (a notification), e.g. what start-up recovery did."""

    message: str
    severity: str = "information"


@dataclass(frozen=True)
class GenerateOutcome:
    rows: list[Any]
    warnings: list[str]
    #: Set when the request was kept locally because the server is away.
    queued_locally: LocalRequest | None = None


Listener = Callable[[Any], None]


class Backend:
    def __init__(self, settings: UISettings, *, listener: Listener | None = None, first_retry: float = 1.0) -> None:
        self.settings = settings
        #: Seconds before the first retry when the server never answered (doubling up to 30 s).
        self.first_retry = first_retry
        self.listener: Listener = listener or (lambda _event: None)
        #: ``time.monotonic()`` of the last event passed to ``listener`` (the UI tells streams from quiet by it).
        self.last_event_at = float("-inf")
        self.connection = ConnectionView("connecting")
        self.client: Any = None
        self.runner: Any = None
        self._pending: list[LocalRequest] = []
        self._flush_lock = asyncio.Lock()
        self._flush_task: asyncio.Task[None] | None = None
        self._stopped = False
        self._reconciled = False
        self._tasks: set[asyncio.Task[None]] = set()
        #: The last node definitions read, for synchronous checks (JSON editor validation).
        self.object_info_cache: dict[str, Any] | None = None

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    # -- storage (thread workers only) ------------------------------------------

    def open(self) -> None:
        from sftui.db import open_database

        open_database(self.settings.db_path)

    def list_sessions(self, *, limit: int | None = None, after: tuple[Any, str] | None = None) -> list[Any]:
        from sftui.db import list_sessions

        return list_sessions(limit=limit, after=after)

    def count_sessions(self) -> int:
        from sftui.db import count_sessions

        return count_sessions()

    def search_sessions(self, text: str, *, limit: int = 50) -> list[Any]:
        from sftui.db import search_sessions

        return search_sessions(text, limit=limit)

    def session_summary(self, session_id: str) -> Any:
        from sftui.db import get_session_summary

        return get_session_summary(session_id)

    def session_page(self, session_id: str, *, before: str | None = None, limit: int = 25) -> Any:
        from sftui.db import get_session

        return get_session(session_id, limit=limit, before=before)

    def session_page_forward(self, session_id: str, *, after: str | None = None, limit: int = 25) -> Any:
        """Oldest first: the session's first page (``after`` None) or the page after a forward cursor."""
        from sftui.db import get_session_from_oldest

        return get_session_from_oldest(session_id, limit=limit, after=after)

    def page_cursor(self, row: Any) -> str:
        """The cursor that pages on from ``row``: older rows with ``session_page``, newer with ``session_page_forward``."""
        from sftui.db import encode_cursor

        return encode_cursor(row.created_at, row.id)

    def create_session(self, title: str | None = None, workflow_id: str | None = None) -> Any:
        from sftui.db import create_session

        return create_session(title=title or None, workflow_id=workflow_id)

    def rename_session(self, session_id: str, title: str) -> Any:
        from sftui.db import update_session

        return update_session(session_id, title=title)

    def save_draft(self, session_id: str, draft: dict[str, Any]) -> Any:
        from sftui.db import update_session

        return update_session(session_id, draft=draft)

    def set_session_workflow(self, session_id: str, workflow_id: str | None) -> Any:
        from sftui.db import update_session

        return update_session(session_id, current_workflow_id=workflow_id)

    def delete_session(self, session_id: str, *, progress: Callable[[int, int], None] | None = None) -> int:
        from sftui.db import delete_session

        return delete_session(session_id, data_dir=self.data_dir, progress=progress)

    def generation(self, generation_id: str) -> Any:
        from sftui.db import get_generation

        return get_generation(generation_id)

    def list_workflows(self) -> list[Any]:
        from sftui.db import list_workflows

        return list_workflows()

    def workflow(self, workflow_id: str) -> Any:
        from sftui.db import get_workflow

        return get_workflow(workflow_id)

    def default_workflow(self) -> Any:
        from sftui.db import get_default_workflow

        return get_default_workflow()

    def set_default_workflow(self, workflow_id: str) -> Any:
        from sftui.db import update_workflow

        return update_workflow(workflow_id, is_default=True)

    def delete_workflow(self, workflow_id: str) -> None:
        from sftui.db import delete_workflow

        delete_workflow(workflow_id)

    def save_workflow_json(self, workflow_id: str, text: str, object_info: dict | None) -> Any:
        """Store an edited API prompt and re-extract its parameters."""
        from sftui.db import update_workflow
        from sftui.workflows.extract import extract_parameters

        prompt = parse_api_prompt(text)
        return update_workflow(
            workflow_id, workflow_json=text, extracted_parameters=extract_parameters(prompt, object_info)
        )

    def builtin_parameters(self, object_info: dict | None) -> list[dict[str, Any]]:
        """The parameters of the built-in default workflow (used when nothing is saved)."""
        from sftui.workflows.defaults import default_workflow
        from sftui.workflows.extract import extract_parameters

        return extract_parameters(default_workflow(), object_info)

    def output_paths(self, generation: Any) -> list[Path]:
        """The local files of a generation's outputs, in batch order, that exist."""
        paths = []
        for item in generation.output_files:
            if item.path:
                path = self.data_dir / item.path
                if path.is_file():
                    paths.append(path)
        return paths

    def mark_cancelled(self, generation_id: str) -> Any:
        from sftui.db import fail_generation, get_generation

        fail_generation(generation_id, error=CANCELLED)
        return get_generation(generation_id)

    # -- the server (async, on the app's loop) ----------------------------------

    def _make_client(self) -> Any:
        from sftui.comfy.client import ComfyClient

        cache = self.settings.cache_dir / "object_info" if self.settings.cache_dir else None
        return ComfyClient(
            self.settings.server_url,
            headers=self.settings.headers or None,
            verify=self.settings.verify_tls,
            cache_dir=cache,
        )

    async def probe(self) -> str | None:
        """None when the server answers, else why not (one line)."""
        client = self._client()
        try:
            await asyncio.wait_for(client.system_stats(), PROBE_TIMEOUT)
        except SftuiError as exc:
            return exc.message
        except (TimeoutError, asyncio.TimeoutError):
            return f"no answer within {PROBE_TIMEOUT:g} s"
        return None

    def _client(self) -> Any:
        if self.client is None:
            self.client = self._make_client()
        return self.client

    async def connect(self) -> None:
        """Start the runner. It starts without the server too: generations are stored and posted
        once connected, and its watcher reconnects by itself, reporting each state to ``listener``."""
        from sftui.comfy.connection import BackoffPolicy
        from sftui.generation.runner import GenerationRunner

        runner = GenerationRunner(
            db_path=self.settings.db_path,
            client=self._client(),
            sink=self._emit,
            on_connection=self._on_connection,
            require_connection=False,
            backoff=BackoffPolicy(initial=self.first_retry, cap=30.0),
        )
        await runner.start()
        self.runner = runner

    async def object_info(self, *, refresh: bool = False) -> dict[str, Any]:
        info = await self._client().get_object_info(refresh=refresh)
        self.object_info_cache = info
        return info

    def _on_connection(self, state: Any) -> None:
        self._set_connection(ConnectionView(state.status, retry_in=state.retry_in, error=state.last_error))

    def _set_connection(self, view: ConnectionView) -> None:
        self.connection = view
        self._emit(view)
        if view.status != "connected":
            return
        if not self._reconciled:
            self._reconciled = True
            self._background(self._reconcile())
        if self._pending:
            self._start_flush()

    async def _reconcile(self) -> None:
        """Settle what an earlier run left unfinished (once, on the first connection)."""
        runner = self.runner
        if runner is None:  # the app is already shutting down
            return
        try:
            report = await runner.reconcile()
        except SftuiError as exc:
            self._emit(BackendNotice(f"generations left by an earlier run could not be checked: {exc.message}", "warning"))
            return
        if report.summary():
            self._emit(BackendNotice(report.summary()[0].upper() + report.summary()[1:] + ".", "information"))

    def _background(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _emit(self, event: Any) -> None:
        self.last_event_at = time.monotonic()
        try:
            self.listener(event)
        except Exception:  # a UI that is closing must not break the runner's tasks
            log.exception("the UI could not take a backend event")

    @property
    def connected(self) -> bool:
        return self.runner is not None and self.runner.connected

    @property
    def queue_length(self) -> int:
        active = len(self.runner.active) if self.runner is not None else 0
        return active + len(self._pending)

    @property
    def local_requests(self) -> tuple[LocalRequest, ...]:
        return tuple(self._pending)

    async def generate(self, request: GenerateRequest) -> GenerateOutcome:
        """Store and submit; while the server is away the runner keeps the rows pending and posts
        them on the reconnect. Only when it cannot even plan (no node definitions cached) is the
        request kept here, and the ones after it too, so that the order holds."""
        if self.runner is None or self._pending:
            local = self._queue_locally(request)
            if self.connected:
                self._start_flush()
            return GenerateOutcome([], [], queued_locally=local)
        try:
            rows, warnings = await self.runner.submit(request)
        except ServerUnreachable:
            # Planning failed before anything was stored: keep it for the reconnect.
            return GenerateOutcome([], [], queued_locally=self._queue_locally(request))
        return GenerateOutcome(rows, warnings)

    def _queue_locally(self, request: GenerateRequest) -> LocalRequest:
        local = LocalRequest(f"local-{uuid.uuid4()}", request, datetime.now(timezone.utc))
        self._pending.append(local)
        self._emit(LocalQueueChanged(tuple(self._pending)))
        return local

    def _start_flush(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        async with self._flush_lock:
            while self._pending and self.connected:
                local = self._pending[0]
                try:
                    await self.runner.submit(local.request)
                except ServerUnreachable:
                    return  # still away: the next "connected" tries again
                except SftuiError as exc:
                    self._emit(LocalRequestFailed(local, exc.message))
                if local in self._pending:
                    self._pending.remove(local)
                self._emit(LocalQueueChanged(tuple(self._pending)))

    async def cancel(self, generation_id: str) -> Any | None:
        """Cancel a local, queued or running generation; returns the final row (None for a local one)."""
        for local in self._pending:
            if local.id == generation_id:
                self._pending.remove(local)
                self._emit(LocalQueueChanged(tuple(self._pending)))
                return None
        if self.runner is not None and generation_id in self.runner.active:
            await self.runner.cancel(generation_id)
        else:
            # Not followed by this process (e.g. left over from an earlier run): settle the row.
            with contextlib.suppress(NotFoundError):
                return await asyncio.to_thread(self.mark_cancelled, generation_id)
        return await asyncio.to_thread(self.generation, generation_id)

    async def retry(self, generation_id: str) -> Any:
        """Post a failed generation's stored snapshot again (same seed); returns the requeued row."""
        if self.runner is None:
            raise ServerUnreachable("not connected yet; retry once the server is back")
        return await self.runner.retry(generation_id)

    def session_changes(self, session_id: str) -> Any:
        """A poller of rows other processes add or change in the session, from now on."""
        from sftui.generation.watch import SessionChanges

        return SessionChanges(session_id, since=datetime.now(timezone.utc))

    async def stop(self) -> None:
        self._stopped = True
        for task in [self._flush_task, *self._tasks]:
            if task is not None:
                task.cancel()
        if self.runner is not None:
            await self.runner.stop()
            self.runner = None
        if self.client is not None:
            await self.client.aclose()
            self.client = None


def parse_api_prompt(text: str) -> dict[str, Any]:
    """An API-format prompt from JSON text, or a one-line ``WorkflowError``."""
    from sftui.errors import WorkflowError

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowError(f"workflow JSON is invalid at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict) or not data:
        raise WorkflowError("workflow JSON must be an object of nodes (API format)")
    for node_id, node in data.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            raise WorkflowError(f"workflow JSON: node {node_id!r} has no class_type (is this the API format?)")
    return data


def backend_of(node: Any) -> Backend:
    """The app's backend, from any widget or screen (the app keeps it as ``backend``)."""
    return node.app.backend


def settings_of(node: Any) -> UISettings:
    return backend_of(node).settings
