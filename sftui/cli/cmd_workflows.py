"""``sftui workflows import|list|show|update|delete|convert``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from sftui.cli.context import Context
from sftui.cli.output import dumps_inert, emit_json, inert, success
from sftui.errors import ObjectInfoUnavailable, ServerError, UsageError, WorkflowError

MAX_INPUT_BYTES = 64 * 2**20  # the format layer applies the real limits; this only bounds the read


def read_input(ref: str) -> tuple[bytes, str]:
    if ref == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        source = "<stdin>"
    else:
        path = Path(ref).expanduser()
        if not path.is_file():
            raise WorkflowError(f"workflow file {ref} does not exist")
        with path.open("rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
        source = str(path)
    if len(data) > MAX_INPUT_BYTES:
        raise WorkflowError(f"{source} is larger than {MAX_INPUT_BYTES // 2**20} MB; refusing to read it")
    return data, source


def object_info_for(ctx: Context, *, required: bool, reason: str) -> dict | None:
    """Node definitions from --object-info, else the server (disk-cached per server)."""
    path = getattr(ctx.args, "object_info", None)
    if path:
        try:
            return json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"--object-info {path}: cannot read node definitions: {exc}") from None

    async def fetch() -> dict:
        async with ctx.client() as client:
            return await client.get_object_info()

    try:
        return asyncio.run(fetch())
    except ServerError as exc:
        if required:
            raise ObjectInfoUnavailable(
                f"{reason} needs the server's node definitions, but {exc.message}, and no cached copy exists; "
                "start the server or pass --object-info PATH"
            ) from None
        return None


def _prepare(ctx: Context, ref: str):
    from sftui.workflows.formats import load_workflow
    from sftui.workflows.importer import needs_object_info, prepare_import

    data, source = read_input(ref)
    loaded = load_workflow(data, source=source)
    object_info = object_info_for(ctx, required=needs_object_info(loaded), reason="converting a UI-format workflow")
    return prepare_import(loaded, object_info, source=source)


def import_(args: argparse.Namespace) -> int:
    from sftui.db import create_workflow

    ctx = Context(args)
    preview = _prepare(ctx, args.file)
    ctx.open_db()
    workflow = create_workflow(**preview.create_kwargs(name=args.name, description=args.description, is_default=args.default))
    if ctx.as_json:
        payload = workflow.model_dump(mode="json")
        payload.update(detected_format=preview.detected, warnings=preview.warnings)
        emit_json(success(payload))
        return 0
    _print_warnings(preview.warnings)
    standard = sum(1 for p in preview.extracted if p.get("standard"))
    print(f"imported {inert(workflow.name)} ({workflow.id}) from {preview.detected}: {len(preview.prompt)} nodes, "
          f"{standard} standard and {len(preview.extracted) - standard} custom parameters{' [default]' if workflow.is_default else ''}")
    return 0


def convert(args: argparse.Namespace) -> int:
    ctx = Context(args)
    preview = _prepare(ctx, args.file)
    _print_warnings(preview.warnings)
    if ctx.as_json:
        emit_json(success({"prompt": preview.prompt, "detected_format": preview.detected, "warnings": preview.warnings}))
    else:
        print(dumps_inert(preview.prompt, indent=2))
    return 0


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"sftui: warning: {inert(warning)}", file=sys.stderr)


def list_(args: argparse.Namespace) -> int:
    from sftui.db import list_workflows

    ctx = Context(args)
    ctx.open_db()
    workflows = list_workflows()
    if ctx.as_json:
        emit_json(success(workflows))
        return 0
    if not workflows:
        print("no workflows yet; import one with `sftui workflows import FILE`")
    for wf in workflows:
        star = "★" if wf.is_default else " "
        print(f"{star} {wf.id}  {inert(wf.name)}  ({wf.generation_count} generations)")
    return 0


def show(args: argparse.Namespace) -> int:
    from sftui.db import find_workflow

    ctx = Context(args)
    ctx.open_db()
    wf = find_workflow(args.ref)
    if ctx.as_json:
        emit_json(success(wf))
        return 0
    print(f"{inert(wf.name)}  ({wf.id}){'  ★ default' if wf.is_default else ''}")
    if wf.description:
        print(inert(wf.description))
    print(f"format: {wf.source_format}   generations: {wf.generation_count}")
    for param in wf.extracted_parameters:
        p = param if isinstance(param, dict) else param.model_dump()
        bounds = f" [{p.get('min')}..{p.get('max')}]" if p.get("min") is not None or p.get("max") is not None else ""
        print(f"  {p.get('key') or p.get('field')}: {inert(repr(p.get('value')))}{bounds}  {inert(p.get('label') or '')}")
    return 0


def update(args: argparse.Namespace) -> int:
    from sftui.db import find_workflow, update_workflow

    ctx = Context(args)
    ctx.open_db()
    patch: dict[str, Any] = {}
    if args.name is not None:
        patch["name"] = args.name
    if args.description is not None:
        patch["description"] = args.description
    if args.default:
        patch["is_default"] = True
    if not patch:
        raise UsageError("nothing to change: give --name, --description or --default")
    wf = update_workflow(find_workflow(args.ref).id, **patch)
    emit_json(success(wf)) if ctx.as_json else print(f"updated {inert(wf.name)} ({wf.id})")
    return 0


def delete(args: argparse.Namespace) -> int:
    from sftui.db import delete_workflow, find_workflow

    ctx = Context(args)
    ctx.open_db()
    wf = find_workflow(args.ref)
    from sftui.cli.confirm import confirm

    uses = f", used by {wf.generation_count} generation{'s' if wf.generation_count != 1 else ''} (they keep their snapshots)" if wf.generation_count else ""
    confirm(f"Delete the workflow “{wf.name}”{uses}?", yes=args.yes, refused=f"workflow {wf.name!r} not deleted")
    delete_workflow(wf.id)
    emit_json(success({"id": wf.id, "deleted": True})) if ctx.as_json else print(f"deleted {inert(wf.name)} ({wf.id})")
    return 0
