"""SteadyFooter: rebuilt when the shown keys change, not on every "bindings updated" signal."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget

from sftui.ui.widgets.steady_footer import SETTLE, SteadyFooter


class Box(Widget, can_focus=True):
    BINDINGS = [Binding("x", "noop", "Same key")]

    def action_noop(self) -> None:
        pass


class OtherBox(Widget, can_focus=True):
    BINDINGS = [Binding("y", "noop", "Other key")]

    def action_noop(self) -> None:
        pass


class FooterApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Box(id="a")
        yield Box(id="b")
        yield OtherBox(id="c")
        yield SteadyFooter()


def _labels(footer: SteadyFooter) -> list[str]:
    return [str(key.description) for key in footer.query("FooterKey")]


async def test_same_keys_no_rebuild_new_keys_rebuild() -> None:
    app = FooterApp()
    async with app.run_test() as pilot:
        footer = app.query_one(SteadyFooter)
        app.query_one("#a").focus()
        await pilot.pause(SETTLE * 2)
        assert "Same key" in _labels(footer)
        rebuilds = 0
        original = footer.recompose

        async def counting() -> None:
            nonlocal rebuilds
            rebuilds += 1
            await original()

        footer.recompose = counting  # type: ignore[method-assign]
        before = list(footer.query("FooterKey"))

        # Focus moves, bindings are signalled again: the same keys are shown, nothing is rebuilt.
        app.query_one("#b").focus()
        app.screen.refresh_bindings()
        await pilot.pause(SETTLE * 2)
        assert rebuilds == 0
        assert list(footer.query("FooterKey")) == before

        # Other keys: rebuilt once after the burst, and it shows them.
        app.query_one("#c").focus()
        app.screen.refresh_bindings()
        await pilot.pause(SETTLE * 2)
        assert rebuilds == 1
        assert "Other key" in _labels(footer) and "Same key" not in _labels(footer)
