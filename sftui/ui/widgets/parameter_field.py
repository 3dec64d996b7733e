"""One labelled row of the parameter panel, with its inline error line."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from sftui.ui.text import inert_content


class ParameterField(Widget):
    """``label`` followed by its control; refused values show their reason under the row.

    The error line follows the validation results of the Inputs inside (per Input,
    the first failing one is shown), so a refused value is explained where it was typed.
    """

    # A grid rather than a row in a column: label and control side by side, the error line
    # under both, with one widget fewer per field (every widget costs every reflow).
    DEFAULT_CSS = """
    ParameterField { layout: grid; grid-size: 2; grid-columns: auto 1fr; height: auto; }
    ParameterField > .field-error { column-span: 2; display: none; }
    ParameterField.-has-error > .field-error { display: block; }
    """

    def __init__(self, label: str, control: Widget, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.label = label
        self._control = control
        self._errors: dict[int, str] = {}
        self._shown: str | None = None

    def compose(self) -> ComposeResult:
        yield Label(inert_content(self.label, single_line=True), classes="field-label")
        yield self._control
        yield Static("", classes="field-error")

    @property
    def error(self) -> str | None:
        return next(iter(self._errors.values()), None)

    @on(Input.Changed)
    @on(Input.Submitted)
    @on(Input.Blurred)
    def _follow_validation(self, event: Input.Changed | Input.Submitted | Input.Blurred) -> None:
        result = event.validation_result
        key = id(event.input)
        if result is None or result.is_valid:
            self._errors.pop(key, None)
        else:
            self._errors[key] = "; ".join(result.failure_descriptions)
        self._show()

    def set_error(self, message: str | None, *, source: Widget | None = None) -> None:
        """Show (or clear) an error that no Input validator produced, e.g. from ``collect()``."""
        key = id(source) if source is not None else 0
        if message:
            self._errors[key] = message
        else:
            self._errors.pop(key, None)
        self._show()

    def _show(self) -> None:
        message = self.error
        if message == self._shown:
            return  # an update re-lays out the whole panel: only on a real change
        self._shown = message
        self.set_class(message is not None, "-has-error")
        if self.is_mounted:
            self.query_one(".field-error", Static).update(inert_content(f"⚠ {message}" if message else "", single_line=True))
