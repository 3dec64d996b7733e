"""Every captured error response, replayed: same status, content type and shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from yarl import URL

from tests.conftest import REFERENCE_DIR
from tests.simulator.harness import Api, read_json
from tests.simulator.transcript import shape

pytestmark = pytest.mark.timeout(20)

# Parametrisation needs the case names at collection time, before fixtures exist.
REFERENCE = REFERENCE_DIR / "errors"
CASES = sorted(p.stem for p in REFERENCE.glob("*.json") if "request_body" in read_json(p)) if REFERENCE.is_dir() else []


def _body(request_body: Any) -> Any:
    return request_body if isinstance(request_body, str) else json.dumps(request_body)


def _expected_details(case: str, error: dict[str, Any], checkpoints: list[str]) -> str:
    if case == "o_missing_model_file":
        # The real server had no checkpoints; the simulator lists its own.
        return f"ckpt_name: 'missing.safetensors' not in {checkpoints}"
    return str(error["details"])


def _compare_error(case: str, got: dict[str, Any], want: dict[str, Any], checkpoints: list[str]) -> None:
    assert (got["type"], got["message"]) == (want["type"], want["message"])
    assert got["details"] == _expected_details(case, want, checkpoints)
    assert set(got["extra_info"]) == set(want["extra_info"])
    for key in ("input_name", "received_value", "exception_message", "exception_type", "linked_node"):
        assert got["extra_info"].get(key) == want["extra_info"].get(key), key
    if "input_config" in want["extra_info"] and case != "o_missing_model_file":
        assert got["extra_info"]["input_config"] == want["extra_info"]["input_config"]
    if "traceback" in want["extra_info"]:
        assert isinstance(got["extra_info"]["traceback"], list) and all(isinstance(t, str) for t in got["extra_info"]["traceback"])


@pytest.mark.parametrize("case", CASES)
async def test_post_prompt_errors_match_capture(api: Api, reference_dir: Path, case: str) -> None:
    captured = read_json(reference_dir / "errors" / f"{case}.json")
    status, content_type, response = await api.request("POST", "/prompt", _body(captured["request_body"]))
    assert (status, content_type) == (captured["status"], captured["content_type"])
    want = captured["response"]
    if isinstance(want, str):
        assert response == want
        return
    if case == "o_missing_model_file":
        assert set(response) == set(want)
    else:
        assert shape(response) == shape(want)
    checkpoints = (await api.request("GET", "/models/checkpoints"))[2]
    if "error" in want:
        _compare_error(case, response["error"], want["error"], checkpoints)
    assert set(response["node_errors"]) == set(want["node_errors"])
    for node_id, expected in want["node_errors"].items():
        got = response["node_errors"][node_id]
        assert (got["class_type"], got["dependent_outputs"]) == (expected["class_type"], expected["dependent_outputs"])
        assert len(got["errors"]) == len(expected["errors"])
        for mine, theirs in zip(got["errors"], expected["errors"]):
            _compare_error(case, mine, theirs, checkpoints)


async def test_partially_valid_prompt_runs_only_valid_branches(api: Api, reference_dir: Path) -> None:
    captured = read_json(reference_dir / "errors" / "l_invalid_combo_value.json")
    response = await api.post_prompt(captured["request_body"])
    entry = await api.wait_history(response["prompt_id"])
    assert set(response["node_errors"]) == {"4"}
    assert entry["prompt"][4] == ["3"]
    assert list(entry["outputs"]) == ["3"] and entry["status"]["status_str"] == "success"


@pytest.mark.parametrize("name", list(read_json(REFERENCE / "misc_endpoints.json")) if REFERENCE.is_dir() else [])
async def test_misc_endpoints_match_capture(api: Api, reference_dir: Path, name: str) -> None:
    captured = read_json(reference_dir / "errors" / "misc_endpoints.json")[name]
    method, path, raw = name.split(" ", 2)
    body = None if raw == "None" else raw.strip("'")
    status, content_type, response = await api.request(method, path, body)
    assert (status, content_type, response) == (captured["status"], captured["content_type"], captured["body"])


@pytest.mark.parametrize("query", list(read_json(REFERENCE / "view_errors.json")) if REFERENCE.is_dir() else [])
async def test_view_refuses_traversal_like_capture(api: Api, reference_dir: Path, query: str) -> None:
    captured = read_json(reference_dir / "errors" / "view_errors.json")[query]
    async with api.session.get(URL(api.url + query, encoded=True)) as response:
        assert (response.status, response.headers.get("Content-Type"), await response.text()) == (captured["status"], captured["content_type"], captured["body"])


async def test_origin_check(api: Api) -> None:
    port = api.sim.port
    cases = {"http://evil.example": 403, f"http://127.0.0.1:{port}": 400, f"http://localhost:{port}": 403, "http://127.0.0.1:5173": 403, "null": 400}
    for origin, expected in cases.items():
        status, _, body = await api.request("POST", "/prompt", "{}", headers={"Origin": origin})
        assert status == expected, origin
        if expected == 403:
            assert body == ""
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await api.session.ws_connect(api.url + "/ws?clientId=x", headers={"Origin": "http://evil.example"})
    assert refused.value.status == 403
    for path in ("/object_info", "/history", "/view?filename=x.png"):
        assert (await api.request("GET", path, headers={"Origin": "http://evil.example"}))[0] == 403
    ws = await api.session.ws_connect(api.url + "/ws?clientId=x", headers={"Origin": f"http://127.0.0.1:{port}"})
    assert (await ws.receive_json(timeout=5))["data"]["sid"] == "x"
    await ws.close()
