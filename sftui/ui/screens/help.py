"""F1: every key that works where the user is, grouped, with a search box."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Static

from sftui.ui.text import inert_content


@dataclass(frozen=True)
class HelpEntry:
    group: str
    keys: str
    description: str
    tooltip: str
    action: str

    def matches(self, query: str) -> bool:
        needle = query.casefold()
        return any(needle in part.casefold() for part in (self.group, self.keys, self.description, self.tooltip, self.action))


def _group_title(node: DOMNode) -> str:
    title = getattr(node, "BINDING_GROUP_TITLE", None)
    if title:
        return title
    return "Global" if node is node.app else type(node).__name__


def _enabled(node: DOMNode, action: str) -> bool:
    name = action.split("(", 1)[0]
    try:
        return node.check_action(name, ()) is not False
    except Exception:  # a widget's check_action may expect real parameters: show the key anyway
        return True


def _is_textual_action(node: DOMNode, action: str) -> bool:
    method = getattr(type(node), f"action_{action.split('(', 1)[0]}", None)
    return getattr(method, "__module__", "").startswith("textual.")


def binding_entries(screen: Screen) -> list[HelpEntry]:
    """The bindings reachable from ``screen``'s focused widget up to the app, hidden ones included.

    Keys of one action on one widget are merged ("j / down"); a key shadowed by a
    widget nearer the focus (or eaten by a focused Input) is left out, as Textual would.
    """
    app = screen.app
    entries: list[HelpEntry] = []
    generic: list[HelpEntry] = []
    taken: set[str] = set()
    # Textual 8.2's binding chain already applies the keymap and drops keys a focused Input consumes.
    for node, bindings in screen._binding_chain:
        by_action: dict[str, list[tuple[str, Binding]]] = {}
        for key, binding in bindings:
            if binding.system or key in taken or not _enabled(node, binding.action):
                continue
            by_action.setdefault(binding.action, []).append((key, binding))
        for action, found in by_action.items():
            taken.update(key for key, _ in found)
            first = next((b for _, b in found if b.description), found[0][1])
            keys = " / ".join(dict.fromkeys(app.get_key_display(b.with_key(key)) for key, b in found))
            # Editing keys of Textual's own widgets (Input, TextArea…) go last: they are not sftui's.
            target = generic if node is not app and _is_textual_action(node, action) else entries
            target.append(HelpEntry(_group_title(node), keys, first.description or action, first.tooltip, action))
    return entries + generic


class _HelpRow(Horizontal):
    """One key: keys, what it does, and the tooltip (wrapping in its own column)."""

    def __init__(self, entry: HelpEntry) -> None:
        super().__init__(classes="help-row")
        self.entry = entry

    def compose(self) -> ComposeResult:
        yield Static(inert_content(self.entry.keys, single_line=True), classes="help-key")
        yield Static(inert_content(self.entry.description, single_line=True), classes="help-action")
        yield Static(inert_content(self.entry.tooltip, single_line=True), classes="help-tooltip")


class HelpScreen(ModalScreen[None]):
    """The keys of the screen below (focused widget first, then its containers, then global keys)."""

    BINDING_GROUP_TITLE = "Help"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="help.close", tooltip="Back to where you were"),
        Binding("down", "scroll(1)", "Scroll down", show=False, id="help.down", tooltip="Scroll the key list"),
        Binding("up", "scroll(-1)", "Scroll up", show=False, id="help.up", tooltip="Scroll the key list"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="help.page_down", tooltip="Scroll a page down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="help.page_up", tooltip="Scroll a page up"),
    ]

    def __init__(self, context: str | None = None) -> None:
        super().__init__(classes="sftui-modal help-modal")
        self.context = context
        self.entries: list[HelpEntry] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Keys", classes="dialog-title")
            if self.context:
                yield Static(inert_content(f"Focused: {self.context}", single_line=True), id="help-context")
            yield Input(placeholder="Search keys and actions…", id="help-search", compact=True)
            yield VerticalScroll(id="help-keys")
        yield Footer()

    def on_mount(self) -> None:
        stack = self.app.screen_stack
        below = stack[stack.index(self) - 1] if self in stack and stack.index(self) > 0 else None
        self.entries = binding_entries(below) if below is not None else []
        widgets: list[Widget] = []
        group = None
        for entry in self.entries:
            if entry.group != group:
                group = entry.group
                widgets.append(Static(inert_content(group, single_line=True), classes="help-group"))
            widgets.append(_HelpRow(entry))
        widgets.append(Static("", id="help-none"))
        self.query_one("#help-keys", VerticalScroll).mount_all(widgets)
        self._show("")
        self.query_one("#help-search", Input).focus()

    def _show(self, query: str) -> None:
        """Filter by toggling rows (no re-mounting while typing); headings follow their rows."""
        heading: Static | None = None
        heading_used = False
        shown = 0
        for child in self.query_one("#help-keys", VerticalScroll).children:
            if isinstance(child, _HelpRow):
                child.display = child.entry.matches(query)
                shown += child.display
                heading_used |= child.display
            elif child.has_class("help-group"):
                if heading is not None:
                    heading.display = heading_used
                heading, heading_used = child, False  # type: ignore[assignment]
        if heading is not None:
            heading.display = heading_used
        none = self.query_one("#help-none", Static)
        none.display = shown == 0
        none.update(inert_content(f"No key matches {query.strip()!r}." if not shown else "", single_line=True))

    @on(Input.Changed, "#help-search")
    def _search(self, event: Input.Changed) -> None:
        self._show(event.value)

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help-keys", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_page(self, pages: int) -> None:
        keys = self.query_one("#help-keys", VerticalScroll)
        keys.scroll_page_down(animate=False) if pages > 0 else keys.scroll_page_up(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
