"""Whatever a server sends: frame parsers never raise, HTTP answers become ``SftuiError`` only,
and output names never lead outside the generation's folder."""

from __future__ import annotations

import asyncio
import json
import re
import struct
from pathlib import Path
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from sftui.comfy import events as ev
from sftui.comfy.client import ComfyClient
from sftui.comfy.frames import PreviewImage, parse_binary_frame
from sftui.errors import SftuiError
from sftui.generation.outputs import MAX_NAME_BYTES, output_destinations
from tests.fuzz.strategies import FUZZ, json_like, nasty_text

EVENT_TYPES = sorted(ev.EVENT_TYPES)
FIELDS = ["prompt_id", "node", "display_node", "value", "max", "nodes", "output", "timestamp", "status", "sid", "node_id", "node_type",
          "exception_message", "traceback", "executed", "supports_preview_metadata", "type", "data"]  # fmt: skip


@st.composite
def text_frames(draw: Any) -> str | bytes:
    kind = draw(st.one_of(st.sampled_from(EVENT_TYPES), nasty_text, json_like))
    data = draw(st.one_of(st.dictionaries(st.sampled_from(FIELDS), json_like, max_size=6), json_like))
    frame = json.dumps({"type": kind, "data": data}) if draw(st.booleans()) else json.dumps(draw(json_like))
    if draw(st.booleans()):
        frame = frame[: draw(st.integers(0, len(frame)))]
    return frame.encode("utf-8") if draw(st.booleans()) else frame


@FUZZ
@given(st.one_of(text_frames(), nasty_text, st.binary(max_size=64)))
def test_parse_text_frame_never_raises(frame: str | bytes) -> None:
    event = ev.parse_text_frame(frame)
    assert event is None or type(event) in ev.EVENT_TYPES.values()


@st.composite
def binary_frames(draw: Any) -> bytes:
    kind = draw(st.sampled_from([1, 4, 4, 2, 3, 0, 2**32 - 1]))
    if kind == 4:
        meta = json.dumps(draw(st.one_of(st.dictionaries(st.sampled_from(["prompt_id", "node_id", "display_node_id", "image_type", "real_node_id"]), json_like), json_like))).encode()
        declared = draw(st.one_of(st.just(len(meta)), st.integers(0, 2**32 - 1)))
        return struct.pack(">II", kind, declared) + meta + draw(st.binary(max_size=16))
    return struct.pack(">II", kind, draw(st.integers(0, 2**32 - 1))) + draw(st.binary(max_size=32))


@FUZZ
@given(st.one_of(binary_frames(), st.binary(max_size=40)))
def test_parse_binary_frame_never_raises(frame: bytes) -> None:
    preview = parse_binary_frame(frame)
    assert preview is None or (isinstance(preview, PreviewImage) and preview.image and preview.image_type)


ANSWERS = st.one_of(json_like.map(lambda v: json.dumps(v).encode()), st.binary(max_size=40), nasty_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
STATUSES = st.sampled_from([200, 200, 200, 400, 401, 403, 404, 500, 502])


_answer: dict[str, Any] = {}
_shared: list[ComfyClient] = []


def _client(status: int, body: bytes, headers: dict[str, str]) -> ComfyClient:
    """One real client for every example (building one costs an SSL context); its answers are swapped."""
    _answer.update(status=status, body=body, headers=headers)
    if not _shared:
        client = ComfyClient("http://127.0.0.1:9")
        transport = httpx.MockTransport(lambda request: httpx.Response(_answer["status"], content=_answer["body"], headers=_answer["headers"]))
        # The real client's parsing on an in-process transport: every answer path, no sockets.
        client._http = httpx.AsyncClient(base_url=client.base_url, transport=transport)
        _shared.append(client)
    return _shared[0]


async def _calls(client: ComfyClient) -> None:
    for call in (
        lambda: client.get_history("p1"),
        client.get_queue,
        client.system_stats,
        lambda: client.get_object_info(refresh=True),
        lambda: client.queue_prompt({"1": {"class_type": "SaveImage", "inputs": {}}}),
        lambda: client.interrupt("p1"),
        lambda: client.delete_queued(["p1"]),
    ):
        try:
            await call()
        except SftuiError as exc:
            assert "\n" not in exc.message and exc.message


@FUZZ
@given(STATUSES, ANSWERS, st.dictionaries(st.sampled_from(["content-length", "content-type"]), st.sampled_from(["0", "5", "999999999999", "-1", "x", "application/json"])))
def test_any_http_answer_is_an_sftui_error_or_a_value(status: int, body: bytes, headers: dict[str, str]) -> None:
    if "content-length" in headers:
        headers["content-length"] = str(len(body)) if headers["content-length"] != "999999999999" else headers["content-length"]

    async def main() -> None:
        await _calls(_client(status, body, headers))

    asyncio.run(main())


@FUZZ
@given(st.dictionaries(st.sampled_from(["prompt", "outputs", "status", "meta"]), json_like, max_size=4),
       st.dictionaries(st.sampled_from(["status_str", "completed", "messages"]), json_like, max_size=3))  # fmt: skip
def test_any_history_entry_is_an_entry_or_a_server_error(entry: dict[str, Any], status: dict[str, Any]) -> None:
    if status:
        entry["status"] = status
    body = json.dumps({"p1": entry}).encode()

    async def main() -> None:
        try:
            found = await _client(200, body, {}).get_history("p1")
        except SftuiError:
            return
        assert found is None or (found.prompt_id == "p1" and isinstance(found.output_refs(), list))
        if found is not None:
            found.outcome_status(), found.execution_time_s(), found.error(), found.fully_cached()

    asyncio.run(main())


UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069/\\\\]")
names = st.one_of(nasty_text, st.text(min_size=150, max_size=400), st.sampled_from(["..", ".", "", "/", "\\", "/etc/passwd", "..\\..\\x", "C:x", "a/../../b"]))


@FUZZ
@given(st.lists(names, max_size=8))
def test_output_destinations_stay_inside_and_unique(filenames: list[str]) -> None:
    data_dir = Path("/tmp/sftui-fuzz-data")  # never written: destinations are only computed
    folder = (data_dir / "outputs" / "s" / "g").resolve()
    try:
        dests = output_destinations(data_dir, "s", "g", filenames)
    except SftuiError:
        return
    assert len(dests) == len(filenames) and len({d.name.lower() for d in dests}) == len(dests)
    for dest in dests:
        assert dest.parent == folder
        assert 0 < len(dest.name.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES + 8  # "_NN" dedupe suffix
        assert not UNSAFE.search(dest.name) and dest.name not in (".", "..") and not dest.name.endswith(".part")
