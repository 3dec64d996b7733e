"""The windowed history: newest page first, pages read in either direction, a bounded pool of cards."""

from __future__ import annotations

from typing import Any

from sftui.ui.widgets.generation_timeline import KEEP_BEYOND, MAX_CARDS, PAGE
from tests.ui.conftest import ready, wait_for

TOTAL = 130
#: The most rows the history holds: the window, what it keeps past each side, and the page just read.
LOADED_MAX = MAX_CARDS + 2 * KEEP_BEYOND + PAGE


def seed_long_session(seeder, title: str = "long", total: int = TOTAL) -> str:
    session = seeder.session(title)
    for index in range(total):
        # Failed rows: full cards without image files, so seeding stays fast.
        seeder.generation(session.id, f"gen {index}", status="failed", error=f"error {index}", seed=index)
    return session.id


def prompts(timeline) -> list[str]:
    return [card.generation.prompt_text for card in timeline.row_cards]


def state(timeline) -> tuple[Any, ...]:
    """What a scroll to an edge changes: the rows shown, and the run of rows loaded."""
    rows = timeline.loaded_rows
    return tuple(prompts(timeline)), rows[0].id if rows else None, rows[-1].id if rows else None


def count_reads(backend: Any) -> dict[str, int]:
    """Wrap the backend's page reads (instance attributes only) and count them."""
    counts = {"backward": 0, "forward": 0}
    backward, forward = backend.session_page, backend.session_page_forward

    def session_page(*args: Any, **kwargs: Any) -> Any:
        counts["backward"] += 1
        return backward(*args, **kwargs)

    def session_page_forward(*args: Any, **kwargs: Any) -> Any:
        counts["forward"] += 1
        return forward(*args, **kwargs)

    backend.session_page, backend.session_page_forward = session_page, session_page_forward
    return counts


async def focus_history(pilot) -> None:
    await pilot.click("#prompt")
    await pilot.press("shift+tab")


async def press_and_wait(pilot, key: str, expected: str) -> None:
    app = pilot.app
    await pilot.press(key)
    await wait_for(pilot, lambda: getattr(app.focused, "generation", None) is not None and app.focused.generation.prompt_text == expected,
                   what=f"{expected} in focus after {key} (focused: {getattr(getattr(app.focused, 'generation', None), 'prompt_text', app.focused)})")


async def test_opens_on_the_newest_page_and_pages_older_rows_in_as_the_user_scrolls_up(offline_app, seeder) -> None:
    assert TOTAL > LOADED_MAX  # so the walk must forget rows, and read them again
    seed_long_session(seeder)
    app = offline_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        timeline = screen.timeline
        await wait_for(pilot, lambda: len(timeline.row_cards) == PAGE, what="the newest page")
        assert prompts(timeline) == [f"gen {i}" for i in range(TOTAL - PAGE, TOTAL)]  # oldest first, newest at the bottom
        await wait_for(pilot, lambda: timeline.scroll_y == timeline.max_scroll_y > 0, what="anchored at the bottom")

        # Up to the oldest row: pages are read as the top comes near; far rows below are forgotten.
        reads = count_reads(app.backend)
        for _ in range(12):
            before_scroll = state(timeline)
            timeline.scroll_home(animate=False, immediate=True)
            await wait_for(pilot, lambda: state(timeline) != before_scroll or timeline.window[0] == 0 and timeline._cursor is None,
                           what="older rows shown")
            await pilot.pause(0.05)
            assert len(timeline.row_cards) <= MAX_CARDS
            assert len(timeline.loaded_rows) <= LOADED_MAX
            if timeline.window == (0, MAX_CARDS) and timeline._cursor is None:
                break
        assert reads["backward"] == -(-(TOTAL - PAGE) // PAGE)  # every older page once
        assert prompts(timeline)[0] == "gen 0"
        assert timeline._newer is not None  # the newest rows were forgotten on the way up
        assert len(timeline.row_cards) == MAX_CARDS  # the newest rows were released on the way up
        assert len(timeline.query_children("GenerationCard")) == MAX_CARDS  # ... and their cards reused, not added

        # ... and down again: the forgotten rows are read forwards, in order, none skipped or repeated.
        seen: list[str] = []
        for _ in range(20):
            seen += [p for p in prompts(timeline) if p not in seen]
            before_scroll = state(timeline)
            timeline.scroll_end(animate=False, immediate=True)
            await wait_for(pilot, lambda: state(timeline) != before_scroll or timeline._newer is None and timeline.window[1] == len(timeline.loaded_rows),
                           what="newer rows shown")
            await pilot.pause(0.05)
            assert len(timeline.loaded_rows) <= LOADED_MAX
            if timeline._newer is None and timeline.window[1] == len(timeline.loaded_rows):
                break
        seen += [p for p in prompts(timeline) if p not in seen]
        assert seen == [f"gen {i}" for i in range(TOTAL)]
        assert timeline.loaded_rows[0].prompt_text != "gen 0"  # the oldest rows were forgotten on the way down

        # end: at the newest already, so no query; focus on the newest card.
        before = dict(reads)
        await focus_history(pilot)
        await pilot.press("end")
        await wait_for(pilot, lambda: prompts(timeline)[-1] == f"gen {TOTAL - 1}" and app.focused is timeline.row_cards[-1], what="the newest card")
        assert len(timeline.row_cards) <= MAX_CARDS
        assert reads == before


async def test_home_reads_the_first_page_and_keys_walk_every_generation(offline_app, seeder) -> None:
    total = 70  # over three forward pages and past MAX_CARDS, so the window moves and cards are reused
    seed_long_session(seeder, total=total)
    app = offline_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        timeline = screen.timeline
        await wait_for(pilot, lambda: len(timeline.row_cards) == PAGE, what="the newest page")
        await focus_history(pilot)
        assert app.focused is timeline.row_cards[-1]
        reads = count_reads(app.backend)

        await pilot.press("home")
        await wait_for(pilot, lambda: prompts(timeline)[:1] == ["gen 0"] and app.focused is timeline.row_cards[0], what="the oldest card in focus")
        assert reads == {"backward": 0, "forward": 1}  # one query, whatever the session's size
        assert timeline.loaded_rows[0].prompt_text == "gen 0" and len(timeline.loaded_rows) == PAGE

        # Down through every generation: forward pages are read, the window moves, focus never leaves.
        for index in range(1, total):
            await press_and_wait(pilot, "j", f"gen {index}")
            assert len(timeline.row_cards) <= MAX_CARDS
        assert len(timeline.query_children("GenerationCard")) <= MAX_CARDS
        assert timeline._newer is None and len(timeline.loaded_rows) <= LOADED_MAX

        # ... and back up past the window's top: released rows are shown again on reused cards.
        for index in range(total - 2, total - 2 - MAX_CARDS - PAGE // 2, -1):
            await press_and_wait(pilot, "k", f"gen {index}")
            assert len(timeline.row_cards) <= MAX_CARDS

        # end with everything loaded: no query, the newest card in focus.
        before = dict(reads)
        await pilot.press("end")
        await wait_for(pilot, lambda: app.focused is timeline.row_cards[-1] and prompts(timeline)[-1] == f"gen {total - 1}", what="the newest card")
        assert reads == before


async def test_end_after_home_reads_the_newest_page_once(offline_app, seeder) -> None:
    seed_long_session(seeder)
    app = offline_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        timeline = screen.timeline
        await wait_for(pilot, lambda: len(timeline.row_cards) == PAGE, what="the newest page")
        await focus_history(pilot)
        await pilot.press("home")
        await wait_for(pilot, lambda: prompts(timeline)[:1] == ["gen 0"], what="the oldest page")
        reads = count_reads(app.backend)
        await pilot.press("end")
        await wait_for(pilot, lambda: prompts(timeline)[-1:] == [f"gen {TOTAL - 1}"] and app.focused is timeline.row_cards[-1], what="the newest card in focus")
        assert reads == {"backward": 1, "forward": 0}
        assert prompts(timeline) == [f"gen {i}" for i in range(TOTAL - PAGE, TOTAL)]


async def test_switching_sessions_rebinds_the_cards_instead_of_rebuilding_them(offline_app, seeder) -> None:
    small = seed_long_session(seeder, "small", 5)
    big = seed_long_session(seeder, "big", 30)
    app = offline_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        timeline = screen.timeline
        screen.open_session(big)
        await wait_for(pilot, lambda: prompts(timeline)[-1:] == ["gen 29"] and len(timeline.row_cards) == PAGE, what="the big session")
        pool = list(timeline.query_children("GenerationCard"))

        screen.open_session(small)
        await wait_for(pilot, lambda: prompts(timeline) == [f"gen {i}" for i in range(5)], what="the small session")
        assert set(timeline.query_children("GenerationCard")) == set(pool)  # same widgets, 15 of them hidden spares
        assert len(timeline.row_cards) == 5
        assert [card.query_one(".card-head").render().plain.splitlines()[1] for card in timeline.row_cards] == [f"gen {i}" for i in range(5)]

        screen.open_session(big)
        await wait_for(pilot, lambda: prompts(timeline) == [f"gen {i}" for i in range(10, 30)], what="the big session again")
        assert set(timeline.query_children("GenerationCard")) == set(pool)


async def test_a_rebound_card_takes_the_new_rows_look(offline_app, seeder) -> None:
    """Cards are reused across rows: status border, text and images follow the row, not the card's past."""
    failed = seed_long_session(seeder, "failed ones", 1)
    done = seeder.session("done")
    seeder.generation(done.id, "a finished one", status="completed")
    app = offline_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        timeline = screen.timeline
        screen.open_session(failed)
        await wait_for(pilot, lambda: prompts(timeline) == ["gen 0"], what="the failed card")
        [card] = timeline.row_cards
        failed_border = card.styles.border_top
        assert card.has_class("-failed") and card.query_one(".card-noimage").display is False

        screen.open_session(done.id)
        await wait_for(pilot, lambda: prompts(timeline) == ["a finished one"], what="the completed row")
        assert timeline.row_cards == [card]  # the same widget
        assert card.has_class("-completed") and not card.has_class("-failed")
        assert card.styles.border_top != failed_border  # restyled for its new status
        assert "error 0" not in card.query_one(".card-summary").render().plain
        await wait_for(pilot, lambda: card.query(".card-images ImageThumb").first().has_image, what="its thumbnail")


async def test_a_session_switch_is_drawn_in_one_frame_with_its_page(offline_app, seeder) -> None:
    """Frames are held from the switch until the page is on the cards (never longer than HOLD_FRAMES_MAX)."""
    from sftui.ui.screens.main import HOLD_FRAMES_MAX

    first = seed_long_session(seeder, "first", 3)
    second = seed_long_session(seeder, "second", 30)
    app = offline_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        timeline = screen.timeline
        screen.open_session(first)
        await wait_for(pilot, lambda: len(timeline.row_cards) == 3 and app._batch_count == 0, what="the first session")

        screen.open_session(second)
        assert app._batch_count == 1  # nothing is drawn until the page is there
        await wait_for(pilot, lambda: app._batch_count == 0, what="frames released")
        assert prompts(timeline)[-1] == "gen 29"  # released with the page on the cards
        await wait_for(pilot, lambda: len(timeline.row_cards) == PAGE, what="the rest of the page, after that frame")

        # A page that never comes does not freeze the screen.
        def broken(*_args, **_kwargs):
            raise RuntimeError("the database went away")

        app.backend.session_page = broken
        screen.open_session(first)
        assert app._batch_count == 1
        await pilot.pause(HOLD_FRAMES_MAX + 0.2)
        assert app._batch_count == 0


async def test_an_older_page_taken_while_a_shift_settles_is_shown_once_it_has(offline_app, seeder) -> None:
    seed_long_session(seeder)
    app = offline_app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await ready(pilot)
        timeline = screen.timeline
        # Quiet first: the opened page filled, and no shift or page read of the app's own under way.
        for _ in range(3):
            await wait_for(pilot, lambda: len(timeline.row_cards) >= PAGE and not timeline._shifting and not timeline._loading, what="a quiet history")
            await pilot.pause(0.1)
        assert timeline._cursor is not None
        # The race, made deterministic: a shift (as a scroll starts one) is still settling
        # when the older page arrives. (While it settles, scrolling starts no reads of its own.)
        timeline._shifting = True
        timeline._settled.clear()
        lo, oldest = timeline.window[0], timeline.loaded_rows[0].id
        timeline._read("older", timeline._cursor)
        await wait_for(pilot, lambda: timeline.loaded_rows[0].id != oldest, what="the older page taken")
        await pilot.pause(0.2)
        assert timeline.window[0] == lo + PAGE  # held back: the page's rows are loaded, not yet shown
        # The shift ends (what its restore calls): the page's rows are shown above, no scroll needed.
        timeline._end_shift()
        await wait_for(pilot, lambda: timeline.window[0] == lo, what="the older rows shown")
        assert prompts(timeline)[0] == timeline.loaded_rows[lo].prompt_text
