"""One generation in the timeline: prompt, images, summary, status, and its actions.

A card is bound to a row and can be bound to another (``card.generation = row``): the
history reuses its cards when a session opens or the window moves, so a new binding
updates the few children in place instead of composing the card again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from sftui.ui.backend import backend_of
from sftui.ui.formatting import STATUS_SYMBOLS, local_timestamp, summary_line
from sftui.ui.text import inert, inert_content
from sftui.ui.widgets.generation_progress import GenerationProgress
from sftui.ui.widgets.image_thumb import ImageThumb


class GenerationCard(Widget, can_focus=True):
    """A generation row as a card; ``local`` marks a request kept while disconnected."""

    BINDING_GROUP_TITLE = "Generation"
    BINDINGS = [
        Binding("r", "reuse", "Reuse", id="generation.reuse", tooltip="Load this generation's prompt, workflow and parameters into the form"),
        Binding("s", "copy_seed", "Copy seed", id="generation.copy_seed", tooltip="Copy the seed to the clipboard (OSC 52, works over SSH)"),
        Binding("v", "view_json", "JSON", id="generation.view_json", tooltip="Show the exact API prompt this generation ran"),
        Binding("enter", "open_image", "Open", id="generation.open_image", tooltip="Open the image full size"),
        Binding("R", "retry", "Retry", id="generation.retry", tooltip="Post this failed generation again, unchanged (same seed)"),
    ]

    generation: reactive[Any] = reactive(None, always_update=True)
    """The row this card shows (``sftui.db.Generation``); assigning another row rebinds the card."""

    class ReuseRequested(Message):
        def __init__(self, card: GenerationCard, generation: Any) -> None:
            super().__init__()
            self.card = card
            self.generation = generation

        @property
        def control(self) -> GenerationCard:
            return self.card

    class RetryRequested(Message):
        def __init__(self, card: GenerationCard, generation_id: str) -> None:
            super().__init__()
            self.card = card
            self.generation_id = generation_id

        @property
        def control(self) -> GenerationCard:
            return self.card

    def __init__(self, generation: Any, *, local: bool = False) -> None:
        super().__init__(classes=f"-{generation.status}" + (" -local" if local else ""))
        self.local = local
        self._progress: GenerationProgress | None = None
        # Few widgets per card: the text above and below the images is one Static each.
        self._head_text = Static(classes="card-head")
        self._images = Horizontal(classes="card-images")
        self._no_image = Static(inert_content("▣ no local image (outputs were not downloaded)"), classes="card-noimage")
        self._summary = Static(classes="card-summary")
        self._composed = False
        self.set_reactive(GenerationCard.generation, generation)

    @property
    def generation_id(self) -> str:
        return self.generation.id

    def watch_generation(self, old: Any, generation: Any) -> None:
        changed = False
        for status in STATUS_SYMBOLS:
            if self.has_class(f"-{status}") != (generation.status == status):
                self.set_class(generation.status == status, f"-{status}", update=False)
                changed = True
        if changed and self.is_attached:
            # The status classes style the card's own border only (styles/timeline.tcss), so only the
            # card is restyled: a class change would restyle every child too, ~1.5 ms a card.
            self.app.stylesheet.update_nodes([self], animate=False)
        if self._composed:
            self._bind(old, generation)

    def compose(self) -> ComposeResult:
        gen = self.generation
        self._head_text.update(self._head())
        self._summary.update(self._foot())
        yield self._head_text
        thumbs = self._thumb_specs(gen)
        with self._images:
            for path, caption in thumbs or ():
                yield ImageThumb(path, caption=caption)
        self._images.display = bool(thumbs)
        self._no_image.display = thumbs == []
        yield self._no_image
        yield self._summary
        self._progress = self._new_progress(gen)
        if self._progress is not None:
            yield self._progress
        self._composed = True

    def _bind(self, old: Any, gen: Any) -> None:
        """Show ``gen`` with the children there are: text updated, thumbs repointed, progress kept while it is the same run."""
        self._head_text.update(self._head())
        self._summary.update(self._foot())
        thumbs = self._thumb_specs(gen)
        self._images.display = bool(thumbs)
        self._no_image.display = thumbs == []
        # Thumbs beyond this row's images are hidden, not removed: the next row may have more.
        mounted = list(self._images.query_children(ImageThumb))
        wanted = thumbs or []
        for thumb, (path, caption) in zip(mounted, wanted):
            thumb.show_path(path, caption)
            thumb.display = True
        for spare in mounted[len(wanted) :]:
            spare.display = False
        if len(wanted) > len(mounted):
            self._images.mount_all([ImageThumb(path, caption=caption) for path, caption in wanted[len(mounted) :]])
        progress = self.progress
        if progress is not None and old is not None and old.id == gen.id and progress.local == self._waits_locally(gen) and gen.status in ("pending", "running"):
            if progress.status != gen.status:
                progress.status = gen.status
            return
        if progress is not None:
            progress.remove()
        self._progress = self._new_progress(gen)
        if self._progress is not None:
            self.mount(self._progress)

    def _waits_locally(self, gen: Any) -> bool:
        # Pending without a prompt id: stored, waiting for the server to come back.
        return self.local or (gen.status == "pending" and gen.prompt_id is None)

    def _new_progress(self, gen: Any) -> GenerationProgress | None:
        if gen.status not in ("pending", "running"):
            return None
        return GenerationProgress(gen.status, local=self._waits_locally(gen))

    def _head(self) -> Content:
        gen = self.generation
        label = "pending · not sent yet" if self.local else gen.status
        parts = [
            Content.assemble(
                (f"{STATUS_SYMBOLS.get(gen.status, '?')} {label}", f"bold {_STATUS_STYLE.get(gen.status, '')}"),
                "  ",
                (local_timestamp(gen.created_at), "$text-muted"),
            ),
            inert_content(gen.prompt_text or "(no prompt)"),
        ]
        if gen.negative_prompt:
            parts.append(Content.styled("− ", "$text-muted") + inert_content(gen.negative_prompt, style="$text-muted"))
        return Content("\n").join(parts)

    def _foot(self) -> Content:
        gen = self.generation
        parts = []
        summary = summary_line(gen)
        if summary:
            parts.append(inert_content(summary, single_line=True, style="$text-muted"))
        if gen.status == "failed":
            parts.append(inert_content(gen.error or "failed", style="$text-error"))
            if self.retryable:
                parts.append(Content.styled("R retry", "$text-muted"))
        return Content("\n").join(parts)

    def _thumb_specs(self, gen: Any) -> list[tuple[Path, str]] | None:
        """``(path, caption)`` of each local image of a completed generation; None for other states."""
        if gen.status != "completed":
            return None
        size = f"{gen.width}×{gen.height}" if gen.width else ""
        return [(path, inert(f"{path.name} {size}".strip(), single_line=True)) for path in backend_of(self).output_paths(gen)]

    @property
    def progress(self) -> GenerationProgress | None:
        progress = self._progress
        return progress if progress is not None and progress.parent is self else None

    @property
    def retryable(self) -> bool:
        """A failure the server caused (e.g. it restarted and lost the generation): posting again may work."""
        gen = self.generation
        details = gen.error_details
        return gen.status == "failed" and not self.local and bool(getattr(details, "retryable", False))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.retryable
        return True

    # -- actions ---------------------------------------------------------------

    def action_retry(self) -> None:
        if self.retryable:
            self.post_message(self.RetryRequested(self, self.generation.id))

    def action_reuse(self) -> None:
        if self.local:
            self.notify("This request has not been sent yet; nothing to reuse.", severity="warning")
            return
        self.post_message(self.ReuseRequested(self, self.generation))

    def action_copy_seed(self) -> None:
        seed = self.generation.seed
        if seed is None:
            self.notify("This generation has no seed.", severity="warning")
            return
        self.app.copy_to_clipboard(str(seed))
        self.notify(f"Seed {seed} copied to the clipboard.", markup=False)

    def action_view_json(self) -> None:
        from sftui.ui.screens.json_viewer import JsonViewerScreen

        snapshot = self.generation.workflow_json_snapshot
        if not snapshot:
            self.notify("This generation has no stored workflow.", severity="warning")
            return
        self.app.push_screen(
            JsonViewerScreen(
                "API prompt of this generation",
                _pretty(snapshot),
                suggested_filename=f"generation-{self.generation.id[:8]}.json",
            )
        )

    def action_open_image(self) -> None:
        from sftui.ui.screens.image_preview import ImagePreviewScreen

        paths = backend_of(self).output_paths(self.generation)
        if not paths:
            self.notify("This generation has no image to open.", severity="warning")
            return
        self.app.push_screen(ImagePreviewScreen(paths, 0))


_STATUS_STYLE = {
    "pending": "$text-muted",
    "running": "$accent",
    "completed": "$success",
    "failed": "$error",
}


def _pretty(snapshot: str) -> str:
    """The snapshot indented for reading; the same JSON value (key order kept)."""
    try:
        return json.dumps(json.loads(snapshot), indent=2, ensure_ascii=False)
    except json.JSONDecodeError:
        return snapshot
