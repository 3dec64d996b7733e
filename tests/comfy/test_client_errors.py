"""ComfyClient error mapping, driven by the real server's captured error answers."""

from __future__ import annotations

import asyncio
import json
import math
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sftui.comfy.client import ComfyClient
from sftui.errors import PromptRejected, ServerError, ServerUnreachable, UsageError, WorkflowError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    yield start
    for runner in runners:
        await runner.cleanup()


def captured_answer(case: dict[str, Any]) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        body = case["response"]
        text = body if isinstance(body, str) else json.dumps(body)
        return web.Response(status=case["status"], body=text.encode(), content_type=(case["content_type"] or "text/plain").split(";")[0])

    return handler


def prompt_cases(reference_dir: Path) -> list[Path]:
    return sorted(p for p in (reference_dir / "errors").glob("*.json") if json.loads(p.read_text()).get("path") == "/prompt")


def test_every_prompt_error_case_is_covered(reference_dir: Path) -> None:
    assert len(prompt_cases(reference_dir)) == 17


# What the one-line message must name for each captured case (node id, class_type, input).
EXPECTED = {
    "a2_empty_body": (ServerError, ["with HTTP 500 Internal Server Error: Server got itself in trouble"]),
    "a_invalid_json": (ServerError, ["HTTP 500", "Server got itself in trouble"]),
    "b_unknown_class_type": (PromptRejected, ["node 2 (NoSuchNodeType)", "does not exist"]),
    "c_missing_required_input": (PromptRejected, ["node 1 (EmptyImage)", "input 'width'", "Required input is missing"]),
    "d2_ui_format_top_level": (PromptRejected, ["No prompt provided"]),
    "d_ui_format_workflow": (ServerError, ["HTTP 500", "looks like a UI-format workflow"]),
    "e_no_prompt_key": (PromptRejected, ["No prompt provided"]),
    "f_prompt_is_list": (ServerError, ["HTTP 500"]),
    "g_empty_prompt": (PromptRejected, ["Prompt has no outputs"]),
    "h_no_output_node": (PromptRejected, ["Prompt has no outputs"]),
    "i_link_to_missing_node": (PromptRejected, ["node 2 (ImageInvert)", "Exception when validating inner node"]),
    "j_wrong_value_type": (PromptRejected, ["node 1 (EmptyImage)", "input 'width'", "sixty-four"]),
    "k_value_below_min": (PromptRejected, ["node 1 (EmptyImage)", "input 'width'", "Value 0 smaller than min of 1"]),
    "l_invalid_combo_value": (PromptRejected, ["part of the prompt", "node 4 (ImageScale)", "input 'upscale_method'", "no-such-method"]),
    "m_missing_class_type": (PromptRejected, ["node 2:", "missing the class_type property"]),
    "n_bad_output_index": (PromptRejected, ["node 2 (ImageInvert)", "tuple index out of range"]),
    "o_missing_model_file": (PromptRejected, ["part of the prompt", "node 4 (CheckpointLoaderSimple)", "input 'ckpt_name'", "missing.safetensors"]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_captured_prompt_errors(name: str, reference_dir: Path, serve: Callable[[Handler], Awaitable[str]]) -> None:
    case = json.loads((reference_dir / "errors" / f"{name}.json").read_text())
    url = await serve(captured_answer(case))
    request = case["request_body"]
    prompt = request.get("prompt") if isinstance(request, dict) and isinstance(request.get("prompt"), dict) else {}
    kind, fragments = EXPECTED[name]
    async with ComfyClient(url) as client:
        with pytest.raises(ServerError) as info:
            await client.queue_prompt(prompt)
    error = info.value
    assert type(error) is kind
    assert "\n" not in error.message and len(error.message) <= 400
    for fragment in fragments:
        assert fragment in error.message, error.message
    if kind is PromptRejected:
        assert error.details["node_errors"] == case["response"]["node_errors"]
        if case["status"] == 200:
            # The server queued the valid branches: the caller needs the id to dequeue it.
            assert error.details["prompt_id"] == case["response"]["prompt_id"]
    else:
        assert error.details["status"] == 500 and "Server got itself in trouble" in error.details["body"]


async def test_non_json_success_is_a_server_error(serve: Callable[[Handler], Awaitable[str]]) -> None:
    async def proxy_page(request: web.Request) -> web.Response:
        return web.Response(text="<html>proxy login</html>", content_type="text/html")

    url = await serve(proxy_page)
    async with ComfyClient(url) as client:
        with pytest.raises(ServerError, match="not JSON: <html>proxy login</html>"):
            await client.queue_prompt({})
        with pytest.raises(ServerError, match="GET /queue .* not JSON"):
            await client.get_queue()


async def test_oversized_answer_is_refused(serve: Callable[[Handler], Awaitable[str]]) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(20):
            await response.write(b"x" * 2**20)
        return response

    url = await serve(huge)
    async with ComfyClient(url) as client:
        with pytest.raises(ServerError, match="more than 16 MB"):
            await client.system_stats()


async def test_connection_refused_is_quick_and_names_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.monotonic()
    async with ComfyClient(f"http://127.0.0.1:{port}/") as client:
        with pytest.raises(ServerUnreachable) as info:
            await client.queue_prompt({})
    assert str(info.value) == f"cannot reach ComfyUI at http://127.0.0.1:{port}: connection refused"
    assert time.monotonic() - start < 2


async def test_silent_server_times_out_with_a_clear_message() -> None:
    held: list[asyncio.StreamWriter] = []

    async def accept_and_ignore(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept_and_ignore, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with ComfyClient(f"http://127.0.0.1:{port}", read_timeout=0.3) as client:
            start = time.monotonic()
            with pytest.raises(ServerUnreachable, match=r"^cannot reach ComfyUI at http://127\.0\.0\.1:\d+: no answer to POST /prompt within 0\.3 s$"):
                await client.queue_prompt({})
            assert time.monotonic() - start < 2
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_unresolvable_host() -> None:
    async with ComfyClient("http://no-such-host.invalid:8188", connect_timeout=2) as client:
        with pytest.raises(ServerUnreachable, match=r"no-such-host\.invalid:8188: (host name not found|no connection within)"):
            await client.system_stats()


def test_bad_base_urls_are_usage_errors() -> None:
    for url in ("127.0.0.1:8188", "ftp://host", "http://", "http://host/?q=1"):
        with pytest.raises(UsageError, match="invalid ComfyUI URL"):
            ComfyClient(url)


async def test_urls_and_credentials_in_messages() -> None:
    async with ComfyClient("https://user:pw@example.test/comfy/", client_id="abc") as client:
        assert client.base_url == "https://user:pw@example.test/comfy"
        assert client.ws_url == "wss://user:pw@example.test/comfy/ws?clientId=abc"
        assert "pw" not in repr(client)


async def test_nan_in_prompt_is_a_workflow_error() -> None:
    async with ComfyClient("http://127.0.0.1:9") as client:
        with pytest.raises(WorkflowError, match="NaN"):
            await client.queue_prompt({"1": {"class_type": "X", "inputs": {"v": math.nan}}})

