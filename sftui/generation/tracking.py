"""Follow one submitted generation to its end and persist what happened."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from sftui.errors import SftuiError
from sftui.generation import events as ev
from sftui.generation.events import EventSink
from sftui.generation.outputs import output_destinations

log = logging.getLogger(__name__)

LOST_MESSAGE = "the server restarted and lost this generation"
DROPPED_MESSAGE = "the server dropped this generation from its queue (deleted by another client, or the queue was cleared)"
DOWNLOAD_ATTEMPTS = 3


class ProgressModel:
    """Overall percent from per-node events: finished nodes plus the running node's fraction."""

    def __init__(self, prompt: dict) -> None:
        self.prompt = prompt
        self.total = max(1, len(prompt))
        self.done: set[str] = set()
        self.current: str | None = None
        self.fraction = 0.0

    def label(self, node_id: str | None) -> str | None:
        node = self.prompt.get(str(node_id)) if node_id is not None else None
        if not isinstance(node, dict):
            return node_id
        title = (node.get("_meta") or {}).get("title")
        return str(title or node.get("class_type") or node_id)

    def cached(self, nodes: list[str]) -> None:
        self.done.update(map(str, nodes))

    def executing(self, node_id: str | None) -> None:
        if self.current is not None:
            self.done.add(self.current)
        self.current = str(node_id) if node_id is not None else None
        self.fraction = 0.0

    def step(self, node_id: str | None, value: float, maximum: float) -> None:
        if node_id is not None and str(node_id) != self.current:
            self.executing(node_id)
        self.fraction = min(1.0, value / maximum) if maximum else 0.0

    @property
    def percent(self) -> float:
        done = len(self.done - {self.current}) if self.current else len(self.done)
        return min(100.0, 100.0 * (done + self.fraction) / self.total)


async def follow(gen: Any, handle: Any, prompt: dict, sink: EventSink) -> Any:
    """Relay one prompt's updates as events until it ends; returns its ``PromptOutcome``.

    The first sign of execution marks the row running: that is what "started" means
    when a lost prompt is judged (see ``runner``).
    """
    from sftui.db import mark_generation_running

    model = ProgressModel(prompt)
    started = False

    async def start() -> None:
        nonlocal started
        if not started:
            started = True
            await asyncio.to_thread(mark_generation_running, gen.id)
            sink(ev.started(gen.id, gen.session_id))

    async for update in handle.updates():
        kind = type(update).__name__
        if kind == "Started":
            await start()
        elif kind == "Cached":
            await start()
            model.cached(list(update.nodes))
            sink(ev.progress(gen.id, model.percent, None))
        elif kind == "Executing":
            await start()
            model.executing(update.node)
            sink(ev.progress(gen.id, model.percent, model.label(update.node)))
        elif kind == "Progress":
            await start()
            model.step(update.node, update.value, update.max)
            sink(ev.progress(gen.id, model.percent, model.label(update.node), int(update.value), int(update.max)))
        elif kind == "Preview":
            sink(ev.preview(gen.id, update.image_bytes, update.image_type))
    return await handle.outcome()


async def emit_final(gen_id: str, sink: EventSink) -> Any:
    """Read the finished row and announce it; returns the row."""
    from sftui.db import get_generation

    final = await asyncio.to_thread(get_generation, gen_id)
    if final.status == "completed":
        sink(ev.completed(final))
    elif final.status == "failed":
        sink(ev.failed(final))
    return final


async def finish(gen: Any, outcome: Any, client: Any, data_dir: Path) -> None:
    """Persist an outcome: download outputs and complete, or record the failure."""
    from sftui.db import complete_generation, fail_generation

    if outcome.status == "success":
        refs = [ref for ref in outcome.outputs if getattr(ref, "type", "output") == "output"]
        try:
            files = await download_outputs(gen, refs, client, data_dir)
        except SftuiError as exc:
            await asyncio.to_thread(lambda: fail_generation(gen.id, error=f"outputs could not be downloaded: {exc.message}"))
            return
        completed = await asyncio.to_thread(
            lambda: complete_generation(
                gen.id,
                outputs=[ref.filename for ref in refs],
                output_files=files,
                generation_time_seconds=outcome.execution_time_s,
            )
        )
        if not completed:
            # Finished meanwhile (cancelled): the files belong to no result, so they go.
            await asyncio.to_thread(_discard_unless_completed, gen.id, data_dir, files)
        return
    error, details = describe_failure(outcome)
    await asyncio.to_thread(lambda: fail_generation(gen.id, error=error, error_details=details))


def _discard_unless_completed(gen_id: str, data_dir: Path, files: list[dict]) -> None:
    from sftui.db import get_generation

    if get_generation(gen_id).status == "completed":
        return
    for item in files:
        try:
            (data_dir / item["path"]).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove %s: %s", item["path"], exc)
            from sftui.generation.sweep import request_sweep

            request_sweep(data_dir)


def lost_failure(*, dropped: bool = False) -> tuple[str, dict]:
    """The error of a generation the server no longer knows; both offer Retry."""
    if dropped:
        return DROPPED_MESSAGE, {"reason": "dropped", "retryable": True}
    return LOST_MESSAGE, {"reason": "lost", "retryable": True}


def describe_failure(outcome: Any) -> tuple[str, dict | None]:
    if outcome.status == "lost":
        return lost_failure()
    if outcome.status == "interrupted":
        return "interrupted", {"reason": "interrupted"}
    info = outcome.error
    if info is None:
        return "ComfyUI reported an error without details", None
    message = f"{info.exception_type}: {info.exception_message}".strip(": ") if info.exception_type else str(info.exception_message)
    where = f" (node {info.node_id} {info.node_type})" if info.node_id else ""
    details = {
        "node_id": info.node_id,
        "node_type": info.node_type,
        "exception_type": info.exception_type,
        "exception_message": info.exception_message,
        "traceback": getattr(info, "traceback", None),
    }
    return f"{message}{where}", details


async def download_outputs(gen: Any, refs: list[Any], client: Any, data_dir: Path) -> list[dict]:
    dests = output_destinations(data_dir, gen.session_id, gen.id, [ref.filename for ref in refs])
    files = []
    for ref, dest in zip(refs, dests):
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:
                await client.download_output(ref, dest)
                break
            except SftuiError as exc:
                if attempt == DOWNLOAD_ATTEMPTS:
                    # No partial result: the generation fails, so its other files go too.
                    await asyncio.to_thread(_discard_unless_completed, gen.id, data_dir, files)
                    raise
                log.warning("download of %s failed (attempt %d): %s", ref.filename, attempt, exc)
                await asyncio.sleep(0.2 * attempt)
        files.append(
            {
                "node_id": ref.node_id,
                "filename": ref.filename,
                "subfolder": ref.subfolder,
                "type": ref.type,
                "path": dest.relative_to(data_dir).as_posix(),
            }
        )
    return files
