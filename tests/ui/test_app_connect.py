"""Start-up: no configured server and none at the default address -> one key starts the demo."""

from __future__ import annotations

import argparse

from sftui import config as cfg
from sftui.ui.app import SftuiApp
from sftui.ui.backend import Backend, UISettings
from sftui.ui.launch import build_settings
from sftui.ui.screens.connect import ConnectScreen
from sftui.ui.screens.main import MainScreen
from tests.ui.conftest import cards, ready, wait_for, wait_for_status


def args(**given) -> argparse.Namespace:
    return argparse.Namespace(**{"server": None, "db": None, "demo": False, "images": None, **given})


async def test_unreachable_default_server_offers_the_demo(simulator, tmp_path) -> None:
    url = simulator.url
    simulator.stop()  # nothing listens there any more
    settings = UISettings(server_url=url, db_path=tmp_path / "mine.db", server_configured=False, images="off", cache_dir=tmp_path / "cache")
    app = SftuiApp(settings, backend=Backend(settings))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await wait_for(pilot, lambda: isinstance(app.screen, ConnectScreen) and app.screen, what="the connect screen")
            title = await wait_for(pilot, lambda: "No ComfyUI answers" in screen.query_one("#connect-title").render().plain and screen.query_one("#connect-title").render().plain, what="the verdict")
            assert url in title
            assert "start the demo" in screen.query_one("#connect-help").render().plain

            await pilot.press("d")
            main = await ready(pilot)
            assert isinstance(main, MainScreen)
            assert main.header.demo and "DEMO" in main.header.text
            assert app.settings.demo and app.settings.server_url != url
            assert app.settings.db_path == cfg.demo_db_path()  # the demo never writes into the user's database

            await pilot.press(*"demo", "ctrl+j")
            [card] = await wait_for_status(pilot, main, ["completed"], timeout=20)
            summary = card.query_one(".card-summary").render().plain
            assert f"seed {card.generation.seed}" in summary and "1024×1024" in summary and summary.endswith("s")
    finally:
        if app.demo_server is not None:
            app.demo_server.stop()
    assert not (tmp_path / "mine.db").exists()


async def test_reachable_default_server_goes_straight_to_work(simulator, tmp_path) -> None:
    settings = UISettings(server_url=simulator.url, db_path=tmp_path / "db.db", server_configured=False, images="off")
    app = SftuiApp(settings, backend=Backend(settings))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        assert cards(screen) == []
        assert not screen.header.demo


def test_settings_come_from_the_command_line_over_the_config_file(tmp_path, monkeypatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('server = "http://gpu:8188"\ntheme = "nord"\nimages = "halfcell"\n[keymap]\n"main.generate" = "ctrl+g"\n')
    monkeypatch.setenv("SFTUI_CONFIG", str(config))
    settings = build_settings(args())
    assert (settings.server_url, settings.server_configured, settings.theme, settings.images) == ("http://gpu:8188", True, "nord", "halfcell")
    assert settings.keymap == {"main.generate": "ctrl+g"}
    assert not settings.db_configured
    given = build_settings(args(server="http://other:1", images="off", db=str(tmp_path / "x.db"), demo=True))
    assert (given.server_url, given.images, given.demo, given.db_configured) == ("http://other:1", "off", True, True)


async def test_keymap_from_the_config_remaps_generate(make_app) -> None:
    app = make_app(keymap={"main.generate": "ctrl+g"}, theme="nord")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert app.theme == "nord"
        await pilot.press(*"remapped", "ctrl+g")
        await wait_for_status(pilot, screen, ["completed"])
        await pilot.press("ctrl+j")  # remapped away: no longer generates
        await pilot.pause(0.2)
        assert len(cards(screen)) == 1


async def test_alt_enter_generates_too(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press(*"alt", "alt+enter")
        await wait_for_status(pilot, screen, ["completed"])


def test_sftui_without_a_command_reports_a_bad_config_in_one_line(tmp_path) -> None:
    from tests.conftest import run_cli

    config = tmp_path / "config.toml"
    config.write_text('images = "holograms"\n')
    result = run_cli(env={"SFTUI_CONFIG": str(config)}, timeout=30)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == f"sftui: config file {config}: images must be one of auto, sixel, tgp, halfcell, unicode, off"
