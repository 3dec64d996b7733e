"""Cross-cutting messages: what the backend reports, posted to the main screen.

Widget-specific messages live on their widget. The high-rate ones (progress,
preview frames) implement ``can_replace`` so that a burst for one generation
collapses to its latest value before the screen handles it, and do not bubble:
the screen they are posted to is the only one that wants them, and each hop up
to the app would wake its queue once more per event.
"""

from __future__ import annotations

import logging
from typing import Any

from textual import on
from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, WorkerState

from sftui.errors import SftuiError
from sftui.ui.backend import ConnectionView, LocalRequest
from sftui.ui.text import inert

log = logging.getLogger(__name__)


class ConnectionChanged(Message):
    """The WebSocket connected, dropped, or is waiting to retry."""

    def __init__(self, view: ConnectionView) -> None:
        super().__init__()
        self.view = view

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ConnectionChanged)


class GenerationQueued(Message):
    def __init__(self, generation_id: str, session_id: str) -> None:
        super().__init__()
        self.generation_id = generation_id
        self.session_id = session_id


class GenerationStarted(Message):
    def __init__(self, generation_id: str, session_id: str) -> None:
        super().__init__()
        self.generation_id = generation_id
        self.session_id = session_id


class GenerationProgress(Message, bubble=False):
    """Overall percent of one generation, the node it is on and that node's steps."""

    def __init__(self, generation_id: str, percent: float, current_node: str | None, value: int | None = None, maximum: int | None = None) -> None:
        super().__init__()
        self.generation_id = generation_id
        self.percent = percent
        self.current_node = current_node
        self.value = value
        self.maximum = maximum

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, GenerationProgress) and message.generation_id == self.generation_id


class GenerationPreview(Message, bubble=False):
    """A live preview frame (encoded image bytes) of a running generation."""

    def __init__(self, generation_id: str, image: bytes) -> None:
        super().__init__()
        self.generation_id = generation_id
        self.image = image

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, GenerationPreview) and message.generation_id == self.generation_id


class GenerationFinished(Message):
    """Completed or failed; the row in the database is final."""

    def __init__(self, generation_id: str, session_id: str, status: str, error: str | None = None) -> None:
        super().__init__()
        self.generation_id = generation_id
        self.session_id = session_id
        self.status = status
        self.error = error


class GenerationsChanged(Message):
    """Rows of the open session that some process added or changed (found by polling)."""

    def __init__(self, rows: list[Any]) -> None:
        super().__init__()
        self.rows = rows


class GenerationLoaded(Message):
    """A fresh copy of one generation row, read in a thread."""

    def __init__(self, generation: Any) -> None:
        super().__init__()
        self.generation = generation


class LocalQueueChanged(Message):
    """Requests kept while disconnected (in submission order)."""

    def __init__(self, requests: tuple[LocalRequest, ...]) -> None:
        super().__init__()
        self.requests = requests


class LocalRequestFailed(Message):
    """A request kept while disconnected was refused when it was finally submitted."""

    def __init__(self, request: LocalRequest, error: str) -> None:
        super().__init__()
        self.request = request
        self.error = error


class Notice(Message):
    """A backend message for the user (shown as a notification)."""

    def __init__(self, text: str, severity: str) -> None:
        super().__init__()
        self.text = text
        self.severity = severity


def to_message(event: Any) -> Message | None:
    """The message for one backend event (see ``Backend.listener``)."""
    from sftui.generation.events import GenerationEvent
    from sftui.ui import backend

    if isinstance(event, ConnectionView):
        return ConnectionChanged(event)
    if isinstance(event, backend.LocalQueueChanged):
        return LocalQueueChanged(event.requests)
    if isinstance(event, backend.BackendNotice):
        return Notice(event.message, event.severity)
    if isinstance(event, backend.LocalRequestFailed):
        return LocalRequestFailed(event.request, event.message)
    if not isinstance(event, GenerationEvent):
        return None
    data = event.data
    name = event.event.split(":", 1)[-1]
    if name == "queued":
        return GenerationQueued(data["id"], data.get("session_id", ""))
    if name == "started":
        return GenerationStarted(data["id"], data.get("session_id", ""))
    if name == "progress":
        return GenerationProgress(data["id"], float(data.get("progress") or 0), data.get("current_node"), data.get("value"), data.get("max"))
    if name == "preview" and event.image:
        return GenerationPreview(data["id"], event.image)
    if name in ("completed", "failed"):
        return GenerationFinished(data["id"], data.get("session_id", ""), data.get("status", name), data.get("error"))
    return None


def error_text(error: BaseException) -> str:
    """One inert line for a notification."""
    if isinstance(error, SftuiError):
        return inert(error.message, single_line=True)
    return inert(f"{type(error).__name__}: {error}", single_line=True)


class ReportWorkerErrors(MessagePump):
    """Mixin: a worker that fails shows a notification instead of ending the app.

    Every worker in the UI is started with ``exit_on_error=False``; this is the
    one handler that turns their errors into something the user sees.
    """

    @on(Worker.StateChanged)
    def _report_worker_error(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        if not isinstance(error, SftuiError):
            log.error("worker %s failed", event.worker.name, exc_info=error)
        self.app.notify(error_text(error), title="Error", severity="error", markup=False)
