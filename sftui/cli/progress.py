"""The live progress bar of ``sftui generate`` (rich, on stderr so stdout stays clean)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from sftui.cli.output import inert
from sftui.generation.events import GenerationEvent


class GenerationProgress:
    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.fields[label]}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[node]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.started = False

    def __enter__(self) -> "GenerationProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        # Started on the first event, so an early error prints nothing but itself.
        if self.started:
            self.progress.__exit__(*exc)

    def handle(self, event: GenerationEvent) -> None:
        if not self.started:
            self.started = True
            self.progress.__enter__()
        data = event.data
        gid = data["id"]
        if event.event == "generation:queued":
            label = f"#{data.get('batch_index', 0) + 1} seed {data.get('seed')}"
            self.tasks[gid] = self.progress.add_task("", total=100, label=escape(label), node="queued")
            return
        task = self.tasks.get(gid)
        if task is None:
            return
        if event.event == "generation:started":
            self.progress.update(task, node="running")
        elif event.event == "generation:progress":
            node = escape(inert(data.get("current_node") or ""))
            self.progress.update(task, completed=data.get("progress") or 0, node=node)
        elif event.event == "generation:completed":
            self.progress.update(task, completed=100, node="[green]completed[/]")
        elif event.event == "generation:failed":
            self.progress.update(task, node=f"[red]failed[/] {escape(inert(data.get('error') or ''))[:80]}")
