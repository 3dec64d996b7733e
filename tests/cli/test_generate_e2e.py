"""The issue's "must show": one real generation through the CLI, recorded for reproduction."""

from __future__ import annotations

import json
import sqlite3

from PIL import Image

from tests.conftest import run_cli


def _lines(proc) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]


def _by_class(prompt: dict, class_type: str) -> list[dict]:
    return [node for node in prompt.values() if node["class_type"] == class_type]


def test_generate_red_fox_end_to_end(simulator, tmp_path):
    db = tmp_path / "x.db"
    proc = run_cli("generate", "--server", simulator.url, "--prompt", "a red fox", "--seed", "42", "--steps", "4", "--json", "--db", str(db))
    assert proc.returncode == 0, proc.stderr.decode()
    lines = _lines(proc)
    events = [line["event"] for line in lines[:-1]]
    assert events[0] == "generation:queued" and "generation:started" in events
    assert "generation:progress" in events and "generation:preview" in events
    assert events[-1] == "generation:completed"
    final = lines[-1]
    assert final["success"] is True
    data = final["data"]
    assert data["status"] == "completed" and data["seed"] == 42 and data["steps"] == 4
    assert data["generation_time_seconds"] is not None and data["completed_at"]
    snapshot = json.loads(data["workflow_json_snapshot"])
    (sampler,) = _by_class(snapshot, "KSampler")
    assert sampler["inputs"]["seed"] == 42 and sampler["inputs"]["steps"] == 4
    positive = snapshot[sampler["inputs"]["positive"][0]]
    assert positive["class_type"] == "CLIPTextEncode" and positive["inputs"]["text"] == "a red fox"
    assert data["outputs"] and len(data["output_files"]) == len(data["outputs"])
    for entry in data["output_files"]:
        path = db.parent / entry["path"]
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(path) as img:
            # The server embedded the exact prompt we stored, and our generation id.
            assert json.loads(img.text["prompt"]) == snapshot
            assert json.loads(img.text["sftui"])["generation_id"] == data["id"]
    assert not list((db.parent / "outputs").rglob("*.part"))

    again = run_cli("generations", "workflow", data["id"], "--json", "--db", str(db))
    assert again.returncode == 0
    repro = json.loads(again.stdout)
    assert repro["success"] is True
    assert repro["data"]["workflow_json"] == snapshot
    assert repro["data"]["parameters"]["seed"] == 42


def test_random_seed_is_resolved_before_submitting_and_batches_count(simulator, tmp_path):
    db = tmp_path / "x.db"
    proc = run_cli("generate", "--server", simulator.url, "--prompt", "p", "--seed", "-1", "--steps", "2", "--count", "3", "--batch-size", "2", "--json", "--db", str(db))
    assert proc.returncode == 0, proc.stderr.decode()
    gens = _lines(proc)[-1]["data"]
    assert [g["batch_index"] for g in gens] == [0, 1, 2]
    seeds = [g["seed"] for g in gens]
    assert seeds[0] >= 0 and seeds == [seeds[0], seeds[0] + 1, seeds[0] + 2]
    for gen in gens:
        snap = json.loads(gen["workflow_json_snapshot"])
        assert _by_class(snap, "KSampler")[0]["inputs"]["seed"] == gen["seed"]
        assert gen["batch_size"] == 2 and len(gen["outputs"]) == 2
    session = run_cli("sessions", "show", gens[0]["session_id"], "--json", "--db", str(db))
    detail = json.loads(session.stdout)["data"]
    assert detail["generation_count"] == 3 and detail["completed_count"] == 3
    assert detail["last_parameters"]["seed"] == seeds[2]


def test_fresh_database_has_every_design_column(simulator, tmp_path):
    db = tmp_path / "fresh.db"
    assert run_cli("sessions", "list", "--db", str(db)).returncode == 0
    con = sqlite3.connect(db)
    cols = lambda table: {row[1] for row in con.execute(f"PRAGMA table_info({table})")}  # noqa: E731
    assert {
        "id", "session_id", "workflow_id", "workflow_json_snapshot", "prompt_id", "prompt_text", "negative_prompt",
        "parameters", "width", "height", "steps", "cfg_scale", "seed", "sampler_name", "scheduler", "batch_size",
        "checkpoint_name", "loras_used", "status", "outputs", "error", "generation_time_seconds", "batch_index",
        "created_at", "completed_at",
    } <= cols("comfyui_generations")
    assert {
        "id", "profile_id", "name", "description", "workflow_json", "default_parameters", "extracted_parameters",
        "thumbnail_url", "is_default", "generation_count", "created_at", "updated_at",
    } <= cols("comfyui_workflows")
    assert {
        "id", "profile_id", "current_workflow_id", "title", "last_parameters", "generation_count",
        "completed_count", "failed_count", "created_at", "updated_at",
    } <= cols("comfyui_sessions")


def test_human_output_lists_the_files_and_show_commands_work(simulator, tmp_path):
    db = tmp_path / "h.db"
    proc = run_cli("generate", "--server", simulator.url, "--prompt", "a [bold]fox[/bold] \x1b[31mred", "--seed", "7", "--steps", "2", "--session", "Foxes", "--db", str(db))
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert out.startswith("completed ") and "seed 7" in out
    png = [line.strip() for line in out.splitlines() if line.strip().endswith(".png")]
    assert png and all((tmp_path / p).is_file() or __import__("pathlib").Path(p).is_file() for p in png)
    listing = run_cli("sessions", "list", "--db", str(db))
    assert "Foxes" in listing.stdout.decode() and "1 generations (1 ok, 0 failed)" in listing.stdout.decode()
    shown = run_cli("sessions", "show", "Foxes", "--db", str(db)).stdout.decode()
    # Markup shows literally and the escape character never reaches the terminal.
    assert "[bold]fox[/bold]" in shown and "\x1b" not in shown and "\\x1b[31mred" in shown
    gen_id = out.split()[1]
    detail = run_cli("generations", "show", gen_id, "--db", str(db)).stdout.decode()
    assert "output:" in detail and "\x1b" not in detail


def test_graph_without_text_encoder_runs_without_a_prompt(simulator, tmp_path, reference_dir):
    """Found against a real ComfyUI: model-free graphs must not demand a prompt."""
    db = tmp_path / "m.db"
    proc = run_cli("--db", str(db), "generate", "--server", simulator.url, "--workflow", str(reference_dir / "workflow_model_free_api.json"), "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    data = _lines(proc)[-1]["data"]
    assert data["status"] == "completed" and data["seed"] is None and data["prompt_text"] == ""
    assert json.loads(data["workflow_json_snapshot"]) == json.loads((reference_dir / "workflow_model_free_api.json").read_text())
    # The global --db before the subcommand was honoured (it used to be overwritten by the subcommand's default).
    assert db.exists()


def test_no_prompt_records_the_workflows_own_text(simulator, tmp_path):
    db = tmp_path / "w.db"
    proc = run_cli("generate", "--server", simulator.url, "--steps", "1", "--json", "--db", str(db))
    assert proc.returncode == 0, proc.stderr.decode()
    data = _lines(proc)[-1]["data"]
    snapshot = json.loads(data["workflow_json_snapshot"])
    (sampler,) = _by_class(snapshot, "KSampler")
    assert data["prompt_text"] == snapshot[sampler["inputs"]["positive"][0]]["inputs"]["text"]


def test_import_ui_graph_and_generate_with_it(simulator, tmp_path, reference_dir):
    db = tmp_path / "i.db"
    ui = reference_dir / "conversion-examples" / "image_sdxl_simple.ui.json"
    imp = run_cli("workflows", "import", str(ui), "--name", "SDXL simple", "--default", "--server", simulator.url, "--json", "--db", str(db))
    assert imp.returncode == 0, imp.stderr.decode()
    wf = json.loads(imp.stdout)["data"]
    assert wf["is_default"] and wf["source_format"] == "ui" and wf["detected_format"].startswith("UI format")
    expected = json.loads((reference_dir / "conversion-examples" / "image_sdxl_simple.api.json").read_text())
    assert set(json.loads(wf["workflow_json"])) == set(expected)
    assert any(p.get("key") == "loras" for p in wf["extracted_parameters"])
    # The default workflow is used without --workflow; the UI graph travels into the PNG.
    gen = run_cli("generate", "--server", simulator.url, "--prompt", "a lighthouse", "--steps", "2", "--width", "512", "--height", "512", "--json", "--db", str(db))
    assert gen.returncode == 0, gen.stderr.decode()
    data = _lines(gen)[-1]["data"]
    assert data["workflow_id"] == wf["id"] and data["status"] == "completed"
    with Image.open(db.parent / data["output_files"][0]["path"]) as img:
        assert json.loads(img.text["workflow"])["nodes"]
    listing = json.loads(run_cli("workflows", "list", "--json", "--db", str(db)).stdout)["data"]
    assert listing[0]["generation_count"] == 1


def test_credentials_in_the_server_url_are_never_stored(simulator, tmp_path):
    db = tmp_path / "c.db"
    url = simulator.url.replace("http://", "http://alice:s3cret@")
    proc = run_cli("generate", "--server", url, "--prompt", "x", "--steps", "1", "--json", "--db", str(db))
    assert proc.returncode == 0, proc.stderr.decode()
    assert _lines(proc)[-1]["data"]["server_url"] == simulator.url
    assert b"s3cret" not in db.read_bytes() and b"s3cret" not in proc.stdout
