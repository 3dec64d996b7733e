"""A Select whose closed face is one widget instead of four.

Textual's ``SelectCurrent`` holds three Statics (the label and two arrows), and a new
value updates the label with a layout request. Every widget on the screen is visited by
every reflow, and the parameter panel has many selects, so here the face draws its label
and arrow itself and a new value only repaints it. The look is the same: the label is cut
with an ellipsis, the arrow is ▼ (▲ while open), the placeholder is dimmed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.content import Content
from textual.geometry import Size
from textual.style import Style
from textual.widgets import Select
from textual.widgets._select import NoSelection, SelectCurrent, SelectOverlay

#: The arrow and the space before it, as SelectCurrent's arrow Static lays them out.
ARROW_CELLS = 2
GAP_STYLE = Style(bold=False)


def _as_content(label: Any) -> Content:
    if isinstance(label, Content):
        return label
    if isinstance(label, Text):
        return Content.from_rich_text(label)
    return Content.from_markup(str(label))


class SelectFace(SelectCurrent):
    """The closed select: the current label (or the dimmed placeholder) and the arrow."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"select-face--label", "select-face--placeholder", "select-face--arrow"}
    DEFAULT_CSS = """
    SelectFace {
        & > .select-face--label { color: $foreground; }
        & > .select-face--placeholder { color: $foreground 50%; }
        & > .select-face--arrow { color: $foreground 50%; }
    }
    """

    def compose(self) -> ComposeResult:
        return iter(())

    # SelectCurrent is a Horizontal; this one has no children and sizes from what it renders.
    @property
    def is_container(self) -> bool:
        return False

    @property
    def is_scrollable(self) -> bool:
        return False

    def update(self, label: Any) -> None:
        # Same size before and after: a repaint, not a reflow of the screen.
        self.label = label
        self.has_value = label is not Select.NULL
        self.refresh()

    def _watch_has_value(self, has_value: bool) -> None:
        super()._watch_has_value(has_value)
        self.refresh()

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._label().cell_length + ARROW_CELLS

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 1  # labels are cut, never wrapped

    def _label(self) -> Content:
        return _as_content(self.placeholder if isinstance(self.label, NoSelection) else self.label)

    def render(self) -> Content:
        part = "select-face--label" if self.has_value else "select-face--placeholder"
        width = max(self.content_size.width - ARROW_CELLS, 0)
        text = self._label().truncate(width, ellipsis=True).stylize_before(self.get_visual_style(part, partial=True))
        expanded = isinstance(self.parent, Select) and self.parent.expanded
        arrow = Content("▲" if expanded else "▼").stylize(self.get_visual_style("select-face--arrow", partial=True))
        # The gap is blank, as SelectCurrent's padding was; a style of its own keeps it from
        # merging with the label or the arrow when the screen is dimmed under a modal.
        gap = Content(" " * (width - text.cell_length + 1)).stylize(GAP_STYLE)
        return Content.assemble(text, gap, arrow)


class CompactSelect(Select[Any]):
    """``Select`` with a ``SelectFace``; everything else (keys, overlay, messages) is Textual's."""

    def compose(self) -> ComposeResult:
        yield SelectFace(self.prompt)
        yield SelectOverlay(type_to_search=self._type_to_search).data_bind(compact=Select.compact)

    def _watch_expanded(self, expanded: bool) -> None:
        super()._watch_expanded(expanded)
        if self.is_mounted:
            self.query_one(SelectFace).refresh()
