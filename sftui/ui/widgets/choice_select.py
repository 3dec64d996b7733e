"""A Select over the server's choices that never loses a stored value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.content import Content
from textual.widgets import Select

from sftui.ui.text import inert_content
from sftui.ui.widgets.compact_select import CompactSelect

NOT_ON_SERVER = " (not on server)"


class ChoiceSelect(CompactSelect):
    """Choices from ``/object_info`` (samplers, checkpoints, LoRA files, combo inputs).

    A value that the server does not list (a generation made with a checkpoint that
    has since been removed, or choices not loaded yet) is kept and marked
    "(not on server)" instead of raising, so Reuse Settings never drops a value.
    Labels are inert: file names may contain ``[brackets]``.
    """

    def __init__(
        self,
        choices: Sequence[Any],
        value: Any = None,
        *,
        label: str,
        allow_blank: bool = True,
        prompt: str = "(none)",
        id: str | None = None,
        classes: str | None = None,
        tooltip: str | None = None,
    ) -> None:
        self.label = label
        self._choices: list[Any] = list(choices)
        options = self._option_list(value)
        # Select applies its value only on mount; until then this is what it will show.
        self._wanted: Any = value
        self._offered = {option for _, option in options}
        #: The value shown as "(not on server)", if any: dropped when another value is chosen.
        self._extra: Any = self._extra_for(value)
        #: The option values last given to the mounted Select (None: not known to be current).
        self._installed: list[Any] | None = None
        if not allow_blank and value is None and options:
            value = self._wanted = options[0][1]
        super().__init__(
            options,
            value=Select.NULL if value is None else value,
            allow_blank=allow_blank or not options,
            prompt=prompt,
            compact=True,
            id=id,
            classes=classes,
            tooltip=tooltip,
        )

    def on_mount(self) -> None:
        wanted = Select.NULL if self._wanted is None else self._wanted
        if self.value != wanted and (wanted is not Select.NULL or self._allow_blank):
            self.value = wanted

    @property
    def selection(self) -> Any:
        """The chosen value, None when blank (also before mount)."""
        if not self.is_mounted:
            return self._wanted
        return super().selection

    @property
    def choices(self) -> list[Any]:
        return list(self._choices)

    def _option_list(self, current: Any) -> list[tuple[Content, Any]]:
        options = [(inert_content(str(choice), single_line=True), choice) for choice in self._choices]
        if current is not None and current not in self._choices:
            options.append((inert_content(f"{current}{NOT_ON_SERVER}", single_line=True), current))
        return options

    def _extra_for(self, current: Any) -> Any:
        return current if current is not None and current not in self._choices else None

    def _install(self, current: Any) -> None:
        options = self._option_list(current)
        values = [option for _, option in options]
        if self.is_mounted and values == self._installed:
            return  # the same list (opening a session sets the choices again): rebuilding it costs a reflow
        self._offered = set(values)
        self._extra = self._extra_for(current)
        if self.is_mounted:
            self._installed = values
            self.set_options(options)
        else:
            # Before mount Select has no overlay to refill; only its option table changes.
            self._setup_variables_for_options(options)

    def set_choices(self, choices: Sequence[Any]) -> None:
        """Replace the server's choices, keeping the current value."""
        current = self.selection
        choices = list(choices)
        if choices == self._choices and self._installed is not None:
            return  # the same choices again (the same workflow shown again): nothing to rebuild
        self._choices = choices
        with self.prevent(Select.Changed):
            self._install(current)
        self.set_value(current)

    def set_value(self, value: Any) -> None:
        """Select ``value`` (None clears); an unknown value is kept and marked, until another is chosen."""
        if value is None and not self._allow_blank:
            return
        self._wanted = value
        unknown = value is not None and value not in self._offered
        if unknown or (self._extra is not None and self._extra != value):
            with self.prevent(Select.Changed):
                self._install(value)
        # Before mount only remember it: a value set then is not drawn (Select
        # compares with it again on mount and skips the redraw); on_mount applies it.
        if self.is_mounted:
            self.value = Select.NULL if value is None else value
