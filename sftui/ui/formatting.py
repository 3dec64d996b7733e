"""Plain-text pieces the widgets show: relative times, summary lines, status labels.

Pure functions (no Textual), so the wording is tested without an app. Every
value that came from a user or a server still goes through ``sftui.ui.text``
before it is displayed.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

STATUS_SYMBOLS = {
    "pending": "◌",
    "running": "◐",
    "completed": "●",
    "failed": "✖",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def relative_time(when: datetime, now: datetime | None = None) -> str:
    """``just now``, ``5 min ago``, ``3 h ago``, ``2 days ago``, else the local date."""
    now = now or utcnow()
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return f"{when.astimezone():%Y-%m-%d}"


def local_timestamp(when: datetime) -> str:
    return f"{when.astimezone():%Y-%m-%d %H:%M}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def short_checkpoint(name: str | None) -> str | None:
    """``models/sd_xl_base_1.0.safetensors`` -> ``sd_xl_base_1.0``."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf"):
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    return base


def format_cfg(value: float | None) -> str | None:
    if value is None:
        return None
    return f"{value:g}" if value != int(value) else f"{value:.1f}"


def summary_line(generation: Any) -> str:
    """``seed · steps · cfg · W×H · sampler/scheduler · checkpoint · time`` (known parts only)."""
    parts: list[str] = []
    if generation.seed is not None:
        parts.append(f"seed {generation.seed}")
    if generation.steps is not None:
        parts.append(f"{generation.steps} steps")
    cfg = format_cfg(generation.cfg_scale)
    if cfg is not None:
        parts.append(f"cfg {cfg}")
    if generation.width and generation.height:
        parts.append(f"{generation.width}×{generation.height}")
    sampler = "/".join(part for part in (generation.sampler_name, generation.scheduler) if part)
    if sampler:
        parts.append(sampler)
    checkpoint = short_checkpoint(generation.checkpoint_name)
    if checkpoint:
        parts.append(checkpoint)
    if generation.batch_size and generation.batch_size > 1:
        parts.append(f"batch {generation.batch_size}")
    if generation.generation_time_seconds is not None:
        parts.append(f"{generation.generation_time_seconds:.1f}s")
    return " · ".join(parts)


def session_lines(session: Any, now: datetime | None = None) -> tuple[str, str]:
    """The count and activity lines of a sidebar entry, from the session's maintained counters.

    The schema counts generations, not images (a batch makes several), so that is what is shown.
    """
    activity = relative_time(session.updated_at, now)
    if session.failed_count:
        activity += f" · {session.failed_count} failed"
    return plural(session.generation_count, "generation"), activity


def connection_label(status: str, retry_in: float | None) -> str:
    if status == "connected":
        return "● Connected"
    if status == "reconnecting":
        if retry_in is None:
            return "○ Reconnecting"
        return f"○ Reconnecting in {max(0, round(retry_in))} s"
    if status == "closed":
        return "○ Disconnected"
    return "○ Connecting…"
