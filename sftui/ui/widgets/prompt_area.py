"""The prompt and the optional negative prompt, with the session's draft."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import TextArea

from sftui.ui.text import inert

PROMPT_PLACEHOLDER = "Describe the image you want… (ctrl+j generates)"
NEGATIVE_PLACEHOLDER = "Negative prompt (optional): things to avoid"


class PromptArea(Vertical):
    BINDING_GROUP_TITLE = "Prompt"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Prompt"

    def compose(self) -> ComposeResult:
        yield TextArea(id="prompt", placeholder=PROMPT_PLACEHOLDER, soft_wrap=True, compact=True, highlight_cursor_line=False, tooltip="The positive prompt")
        yield TextArea(id="negative", placeholder=NEGATIVE_PLACEHOLDER, soft_wrap=True, compact=True, highlight_cursor_line=False, tooltip="The negative prompt (optional)")

    @property
    def prompt(self) -> TextArea:
        return self.query_one("#prompt", TextArea)

    @property
    def negative(self) -> TextArea:
        return self.query_one("#negative", TextArea)

    @property
    def prompt_text(self) -> str:
        return self.prompt.text.strip()

    @property
    def negative_text(self) -> str | None:
        return self.negative.text.strip() or None

    def set_texts(self, prompt: str | None, negative: str | None) -> None:
        self.prompt.load_text(inert(prompt))
        self.negative.load_text(inert(negative))
        self.prompt.move_cursor(self.prompt.document.end)

    @on(TextArea.Changed)
    def _keep_inert(self, event: TextArea.Changed) -> None:
        """A TextArea draws control characters as they are: a pasted ESC would reach the terminal.

        They become visible escapes (``\\x1b``) instead, in the box and in the prompt sent.
        """
        area = event.text_area
        safe = inert(area.text)
        if safe != area.text:
            area.load_text(safe)
            area.move_cursor(area.document.end)

    def draft(self) -> dict[str, Any]:
        return {"prompt": self.prompt.text, "negative": self.negative.text}

    def load_draft(self, draft: dict[str, Any]) -> None:
        prompt = draft.get("prompt")
        negative = draft.get("negative")
        self.set_texts(prompt if isinstance(prompt, str) else "", negative if isinstance(negative, str) else "")

    def focus_prompt(self) -> None:
        self.prompt.focus()
