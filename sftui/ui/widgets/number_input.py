"""An Input for one numeric parameter that refuses values outside its bounds."""

from __future__ import annotations

import math
from typing import Any

from textual.geometry import Size
from textual.validation import ValidationResult, Validator
from textual.widgets import Input

from sftui.errors import ParameterError

Number = int | float


def format_number(value: Any) -> str:
    """How a stored number is shown for editing (``7.0`` -> ``7.0``, ``20`` -> ``20``)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    return str(value)


def parse_number(text: str, *, integer: bool) -> Number:
    """Parse ``text`` as an int or a finite float; ValueError with a readable reason otherwise."""
    text = text.strip()
    if not text:
        raise ValueError("a value is required")
    if integer:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


class _Bounds(Validator):
    """The inline reason under the field: short, since the field names itself."""

    def __init__(self, owner: NumberInput) -> None:
        super().__init__()
        self.owner = owner

    def validate(self, value: str) -> ValidationResult:
        owner = self.owner
        if not value.strip() and owner.allow_empty:
            return self.success()
        try:
            number = parse_number(value, integer=owner.integer)
        except ValueError as exc:
            return self.failure(str(exc), value)
        if owner.minimum is not None and number < owner.minimum:
            return self.failure(f"must be ≥ {format_number(owner.minimum)}", value)
        if owner.maximum is not None and number > owner.maximum:
            return self.failure(f"must be ≤ {format_number(owner.maximum)}", value)
        return self.success()


class FixedWidthInput(Input):
    """An Input whose box does not follow its text: a new value repaints it without a layout.

    Input measures its text on every value for horizontal scrolling, and a new measure is a
    layout request, i.e. a reflow of the whole screen. With a fixed width the box cannot
    change, so only the scroll limits take the new measure.
    """

    def _watch_value(self, value: str) -> None:
        measured = Size(self.content_width, 1)
        if measured != self.virtual_size and not self.styles.auto_dimensions:
            self.set_reactive(Input.virtual_size, measured)
            self._scroll_update(measured)
        super()._watch_value(value)


class NumberInput(FixedWidthInput):
    """An integer or decimal Input with inclusive ``minimum``/``maximum`` (None = unbounded).

    Invalid text stays in the box (so the user can fix it) and gets the ``-invalid``
    class; ``number()`` raises ``ParameterError`` naming ``label``.
    """

    def __init__(
        self,
        value: Number | None = None,
        *,
        label: str,
        integer: bool,
        minimum: Number | None = None,
        maximum: Number | None = None,
        placeholder: str = "",
        allow_empty: bool = False,
        id: str | None = None,
        classes: str | None = None,
        tooltip: str | None = None,
    ) -> None:
        self.label = label
        self.integer = integer
        self.minimum = minimum
        self.maximum = maximum
        self.allow_empty = allow_empty
        if integer and isinstance(value, float) and value.is_integer():
            value = int(value)
        super().__init__(
            format_number(value),
            placeholder=placeholder,
            type="integer" if integer else "number",
            validators=[_Bounds(self)],
            valid_empty=allow_empty,
            compact=True,
            id=id,
            classes=classes,
            tooltip=tooltip,
        )

    def check(self, text: str) -> Number | None:
        """The number ``text`` stands for, or ParameterError naming this field."""
        if not text.strip() and self.allow_empty:
            return None
        try:
            value = parse_number(text, integer=self.integer)
        except ValueError as exc:
            raise ParameterError(f"{self.label}: {exc}") from None
        if self.minimum is not None and value < self.minimum:
            raise ParameterError(f"{self.label}: {format_number(value)} is below the minimum {format_number(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise ParameterError(f"{self.label}: {format_number(value)} is above the maximum {format_number(self.maximum)}")
        return value

    def number(self) -> Number | None:
        """The current value (None only when empty is allowed); ParameterError when refused."""
        return self.check(self.value)

    def set_number(self, value: Number | None) -> None:
        # UI-format workflows store some INT widgets as 20.0; an integer field shows 20.
        if self.integer and isinstance(value, float) and value.is_integer():
            value = int(value)
        self.value = format_number(value)

    def set_limits(self, minimum: Number | None, maximum: Number | None) -> None:
        if (minimum, maximum) == (self.minimum, self.maximum):
            return  # the same workflow shown again: nothing to re-check
        self.minimum, self.maximum = minimum, maximum
        if self.is_mounted:
            # Re-announce so the field's error line follows the new bounds.
            self.post_message(self.Changed(self, self.value, self.validate(self.value)))
