"""Oversized answers and frames are capped: a clear error (or a skipped frame), the read stops
early, and memory does not grow by the payload's size."""

from __future__ import annotations

import json
import sqlite3
from functools import partial
from pathlib import Path

import pytest
from aiohttp import web

from sftui.comfy.client import OBJECT_INFO_MAX_BYTES, ComfyClient
from sftui.comfy.frames import MAX_FRAME_BYTES
from sftui.comfy.models import OutputRef
from sftui.errors import ServerError
from tests.hostile.conftest import run_measured
from tests.hostile.fake_comfy import FakeComfy, stream_body

MB = 2**20


def _rows(db: Path) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM comfyui_generations").fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("declare", [False, True], ids=["chunked", "content-length"])
def test_object_info_over_50_mb_is_refused_early(fake: FakeComfy, tmp_path: Path, declare: bool) -> None:
    baseline = run_measured("options", "--server", fake.url, tmp=tmp_path)
    assert baseline.returncode == 0, baseline.stderr

    payload = 300 * MB
    fake.overrides["/object_info"] = partial(stream_body, total=payload, declare=declare, record=fake.sent_bytes, key="object_info")
    run = run_measured("options", "--server", fake.url, "--db", str(tmp_path / "o.db"), tmp=tmp_path, env={"XDG_CACHE_HOME": str(tmp_path / "c2")})
    assert run.returncode == 1 and run.stdout == b""
    (line,) = run.err_lines
    assert line == f"sftui: error: ComfyUI at {fake.url} answered GET /object_info with more than 50 MB"
    sent = fake.sent_bytes["object_info"]
    if declare:
        # Refused on the header: barely a socket buffer of the body went out.
        assert sent < 16 * MB, sent
    else:
        assert OBJECT_INFO_MAX_BYTES < sent < OBJECT_INFO_MAX_BYTES + 32 * MB, sent
    # At most the 50 MB cap is ever held, never the 300 MB payload.
    assert run.peak_rss_mb - baseline.peak_rss_mb < 120, (run.peak_rss_mb, baseline.peak_rss_mb)


def test_generate_refuses_a_huge_object_info_before_storing_anything(fake: FakeComfy, tmp_path: Path) -> None:
    fake.overrides["/object_info"] = partial(stream_body, total=80 * MB, declare=False, record=fake.sent_bytes, key="object_info")
    db = tmp_path / "g.db"
    run = run_measured("generate", "--server", fake.url, "--prompt", "x", "--db", str(db), tmp=tmp_path)
    assert run.returncode == 1
    assert run.err_lines == [f"sftui: error: ComfyUI at {fake.url} answered GET /object_info with more than 50 MB"]
    assert _rows(db) == 0 and not fake.requests("/prompt")


@pytest.mark.parametrize("declare", [False, True], ids=["chunked", "content-length"])
async def test_view_body_beyond_max_bytes_stops_the_download(tmp_path: Path, declare: bool) -> None:
    fake = FakeComfy()
    fake.overrides["/view"] = partial(stream_body, total=200 * MB, declare=declare, record=fake.sent_bytes, key="view")
    fake.start()
    try:
        dest = tmp_path / "out" / "image.png"
        async with ComfyClient(fake.url) as client:
            with pytest.raises(ServerError, match=r"^cannot download big\.png \(node 9\): it is larger than 4 MB$"):
                await client.download_output(OutputRef(node_id="9", filename="big.png"), dest, max_bytes=4 * MB)
    finally:
        fake.stop()
    assert not dest.exists() and not list(dest.parent.iterdir())  # no file, no .part
    assert fake.sent_bytes["view"] < (16 if declare else 40) * MB


def test_generate_with_an_oversized_download_fails_cleanly(fake: FakeComfy, tmp_path: Path) -> None:
    async def declared_gigabyte(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = 2**30
        await response.prepare(request)
        await response.write(b"\x89PNG")
        return response

    fake.overrides["/view"] = declared_gigabyte
    db = tmp_path / "d.db"
    run = run_measured("generate", "--server", fake.url, "--prompt", "x", "--db", str(db), "--json", tmp=tmp_path)
    assert run.returncode == 1
    final = json.loads(run.stdout.splitlines()[-1])
    assert final["success"] is False
    assert final["data"]["status"] == "failed"
    assert "outputs could not be downloaded" in final["data"]["error"] and "larger than 512 MB" in final["data"]["error"]
    assert not list(tmp_path.rglob("*.part")) and not list(tmp_path.rglob("ComfyUI_*.png"))


def test_a_100_mb_preview_frame_is_refused_and_the_generation_still_completes(fake: FakeComfy, tmp_path: Path, log_file: Path) -> None:
    baseline = run_measured("generate", "--server", fake.url, "--prompt", "x", "--db", str(tmp_path / "b.db"), tmp=tmp_path)
    assert baseline.returncode == 0, baseline.stderr

    fake.frames = [(1).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes(100 * MB)]
    db = tmp_path / "p.db"
    run = run_measured("generate", "--server", fake.url, "--prompt", "x", "--db", str(db), "--json", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1])["data"]["status"] == "completed"
    # The socket was dropped on the frame's header and reopened; history told the outcome.
    assert len(fake.ws_upgrades) >= 1 + 2
    assert run.peak_rss_mb - baseline.peak_rss_mb < 30, (run.peak_rss_mb, baseline.peak_rss_mb)


def test_a_frame_just_over_the_parser_cap_is_skipped_without_dropping_the_socket(fake: FakeComfy, tmp_path: Path, log_file: Path) -> None:
    too_big = MAX_FRAME_BYTES + 512 * 1024
    fake.frames = [(1).to_bytes(4, "big") + (1).to_bytes(4, "big") + bytes(too_big - 8), "x" * (MAX_FRAME_BYTES + 1024)]
    run = run_measured("generate", "--server", fake.url, "--prompt", "x", "--db", str(tmp_path / "s.db"), tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert len(fake.ws_upgrades) == 1
    log = log_file.read_text(encoding="utf-8")
    assert f"skipping a {too_big}-byte binary frame (limit {MAX_FRAME_BYTES})" in log
    assert f"skipping a {MAX_FRAME_BYTES + 1024}-character text frame (limit {MAX_FRAME_BYTES})" in log
