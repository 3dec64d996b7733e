"""sftui.ui.text: user and server text is shown literally, never interpreted."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Label, Static

from sftui.ui.text import escape_markup, inert, inert_content, inert_markup

HOSTILE = [
    "[bold]loud[/bold]",
    "[$accent]themed",
    "[Bold]x[/]",
    "[@click=app.quit]quit[/]",
    "[link='http://evil']x[/link]",
    "back\\[b]slash",
    "ends with \\",
]


def test_control_characters_and_bidi_are_escaped_visibly() -> None:
    assert inert("a\x1b]52;c;ZXZpbA==\x07b") == "a\\x1b]52;c;ZXZpbA==\\x07b"
    assert inert("csi\x9b2J") == "csi\\x9b2J"
    assert inert("abc\u202edcba") == "abc\\u202edcba"
    assert inert("iso\u2066late\u2069") == "iso\\u2066late\\u2069"
    assert inert("line\u2028break") == "line\\u2028break"


def test_newlines_and_tabs_are_kept_unless_single_line() -> None:
    assert inert("a\r\nb\tc") == "a\nb\tc"
    assert inert("a\rb") == "a\\x0db"
    assert inert("  one\n two\t three  ", single_line=True) == "one two three"
    assert inert(None) == ""
    assert inert(42) == "42"


@pytest.mark.parametrize("text", HOSTILE)
def test_inert_content_and_escape_markup_show_text_literally(text: str) -> None:
    from textual.content import Content

    assert inert_content(text).plain == text
    assert Content.from_markup(escape_markup(text)).plain == text


@pytest.mark.parametrize("text", HOSTILE)
def test_inert_markup_substitutes_values_as_plain_text(text: str) -> None:
    content = inert_markup("[b]$title[/b] · $n images", title=text, n=3)
    assert content.plain == f"{text} · 3 images"
    # The template's own markup still applies, to the title only.
    assert [(s.start, s.end) for s in content.spans] == [(0, len(text))]


async def test_widgets_render_hostile_text_literally() -> None:
    text = "[bold]x[/] [@click=app.quit]q[/] \x1b[31mred"

    class Show(App[None]):
        def compose(self) -> ComposeResult:
            yield Static(inert_content(text), id="static")
            yield Label(escape_markup(text), id="label")

    app = Show()
    async with app.run_test(size=(80, 5)) as pilot:
        expected = "[bold]x[/] [@click=app.quit]q[/] \\x1b[31mred"
        assert str(app.query_one("#static", Static).render()) == expected
        assert str(app.query_one("#label", Label).render()) == expected
        await pilot.click("#static")
        assert app.is_running
