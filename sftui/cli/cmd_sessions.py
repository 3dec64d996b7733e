"""``sftui sessions …`` and ``sftui generations …``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sftui.cli.context import Context
from sftui.cli.output import dumps_inert, emit_json, inert, success
from sftui.errors import UsageError


def list_(args: argparse.Namespace) -> int:
    from sftui.db import list_sessions, search_sessions

    ctx = Context(args)
    ctx.open_db()
    if args.search is not None:
        sessions = search_sessions(args.search, limit=args.limit if args.limit is not None else 50)
    else:
        sessions = list_sessions(limit=args.limit)
    if ctx.as_json:
        emit_json(success(sessions))
        return 0
    if not sessions:
        print("no sessions yet; `sftui sessions create TITLE` or `sftui generate` makes one")
    for s in sessions:
        print(f"{s.id}  {inert(s.title)}  {s.generation_count} generations ({s.completed_count} ok, {s.failed_count} failed)  {s.updated_at:%Y-%m-%d %H:%M}")
    return 0


def show(args: argparse.Namespace) -> int:
    from sftui.db import find_session, get_session

    ctx = Context(args)
    if args.limit < 1 or args.limit > 1000:
        raise UsageError("--limit must be between 1 and 1000")
    ctx.open_db()
    detail = get_session(find_session(args.ref).id, limit=args.limit, before=args.before)
    if ctx.as_json:
        emit_json(success(detail))
        return 0
    print(f"{inert(detail.title)}  ({detail.id})  {detail.total_generations} generations")
    for gen in detail.generations:
        print(_generation_line(gen))
    if detail.next_cursor:
        print(f"older: sftui sessions show {detail.id} --before {detail.next_cursor}")
    return 0


def _generation_line(gen: Any) -> str:
    size = f"{gen.width}x{gen.height}" if gen.width and gen.height else "?"
    took = f" {gen.generation_time_seconds:.1f}s" if gen.generation_time_seconds is not None else ""
    text = inert(gen.prompt_text or "")
    if len(text) > 60:
        text = text[:59] + "…"
    line = f"  {gen.created_at:%Y-%m-%d %H:%M:%S}  {gen.status:<9} seed {gen.seed}  {gen.steps} steps  cfg {gen.cfg_scale}  {size}{took}  {text}"
    if gen.status == "failed" and gen.error:
        line += f"\n      error: {inert(gen.error)}"
    return line


def create(args: argparse.Namespace) -> int:
    from sftui.db import create_session

    ctx = Context(args)
    ctx.open_db()
    session = create_session(title=args.title)
    emit_json(success(session)) if ctx.as_json else print(f"created {inert(session.title)} ({session.id})")
    return 0


def rename(args: argparse.Namespace) -> int:
    from sftui.db import find_session, update_session

    ctx = Context(args)
    ctx.open_db()
    session = update_session(find_session(args.ref).id, title=args.title)
    emit_json(success(session)) if ctx.as_json else print(f"renamed to {inert(session.title)} ({session.id})")
    return 0


def delete(args: argparse.Namespace) -> int:
    from sftui.db import find_session

    ctx = Context(args)
    ctx.open_db()
    session = find_session(args.ref)
    from sftui.cli.confirm import confirm

    count = session.generation_count
    confirm(
        f"Delete the session “{session.title}” and its {count} generation{'s' if count != 1 else ''} (with their image files)? This cannot be undone.",
        yes=args.yes,
        refused=f"session {session.title!r} not deleted",
    )
    removed = _delete_with_progress(session.id, ctx)
    if ctx.as_json:
        emit_json(success({"id": session.id, "deleted": True, "generations_deleted": removed}))
    else:
        print(f"deleted {inert(session.title)} ({session.id}) with {removed} generations and their files")
    return 0


def _delete_with_progress(session_id: str, ctx: Context) -> int:
    """A bar for the files on a terminal (100,000 generations take about 20 s); nothing elsewhere."""
    from sftui.db import delete_session

    if ctx.as_json or not sys.stderr.isatty():
        return delete_session(session_id, data_dir=ctx.data_dir)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("removing image folders"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=None)
        return delete_session(session_id, data_dir=ctx.data_dir, progress=lambda done, total: bar.update(task, completed=done, total=total))


def generation_show(args: argparse.Namespace) -> int:
    from sftui.db import get_generation

    ctx = Context(args)
    ctx.open_db()
    gen = get_generation(args.id)
    if ctx.as_json:
        emit_json(success(gen))
        return 0
    print(_generation_line(gen).lstrip())
    print(f"prompt:   {inert(gen.prompt_text)}")
    if gen.negative_prompt:
        print(f"negative: {inert(gen.negative_prompt)}")
    print(f"sampler:  {gen.sampler_name}/{gen.scheduler}  checkpoint: {inert(gen.checkpoint_name or '-')}")
    for f in gen.output_files:
        if f.path:
            print(f"output:   {inert(str(ctx.data_dir / f.path))}")
    return 0


def generation_workflow(args: argparse.Namespace) -> int:
    from sftui.db import get_generation_workflow

    ctx = Context(args)
    ctx.open_db()
    data = get_generation_workflow(args.id)
    if ctx.as_json:
        emit_json(success(data))
    else:
        print(dumps_inert(data, indent=2))
    return 0
