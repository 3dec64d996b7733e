"""``sftui generate``: queue generations, show live progress, exit 0 only if all completed."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from sftui.cli.context import Context
from sftui.cli.output import emit_json, failure, inert, success
from sftui.errors import UsageError


def parse_lora(spec: str) -> dict[str, Any]:
    """``NAME[:MODEL[:CLIP]]``; CLIP defaults to MODEL, MODEL to 1.0."""
    parts = spec.rsplit(":", 2)
    # Names may contain ':' only if no strengths follow; peel numeric parts from the right.
    name, strengths = spec, []
    while len(parts) > 1:
        try:
            float(parts[-1])
        except ValueError:
            break
        strengths.insert(0, float(parts.pop()))
        name = ":".join(parts)
    if not name:
        raise UsageError(f"--lora {spec!r}: expected NAME[:MODEL[:CLIP]]")
    model = strengths[0] if strengths else 1.0
    clip = strengths[1] if len(strengths) > 1 else model
    return {"name": name, "strength_model": model, "strength_clip": clip}


def parse_custom(items: list[str]) -> dict[str, Any]:
    """``NODE.FIELD=VALUE``; VALUE is read as JSON when it parses (numbers, true, "quoted"), else as text."""
    out: dict[str, Any] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        node, dot, field = key.partition(".")
        if not eq or not dot or not node or not field:
            raise UsageError(f"--set {item!r}: expected NODE.FIELD=VALUE, e.g. --set 3.denoise=0.6")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[f"{node}.{field}"] = value
    return out


def request_from_args(args: argparse.Namespace):
    from sftui.generation.service import GenerateRequest

    params: dict[str, Any] = {}
    for flag, key in (
        ("seed", "seed"), ("steps", "steps"), ("cfg", "cfg_scale"), ("width", "width"), ("height", "height"),
        ("sampler", "sampler_name"), ("scheduler", "scheduler"), ("batch_size", "batch_size"), ("checkpoint", "checkpoint_name"),
    ):
        value = getattr(args, flag)
        if value is not None:
            params[key] = value
    if args.seed is not None and not (args.seed == -1 or 0 <= args.seed < 2**64):
        raise UsageError(f"--seed {args.seed}: must be -1 (random) or between 0 and 2^64-1")
    if args.lora:
        params["loras"] = [parse_lora(spec) for spec in args.lora]
    params.update(parse_custom(args.custom))
    return GenerateRequest(
        prompt_text=args.prompt,
        negative_prompt=args.negative,
        parameters=params,
        session=args.session,
        workflow=args.workflow,
        count=args.count,
    )


def generate(args: argparse.Namespace) -> int:
    from sftui.cli import gcpause

    gcpause.pause()
    try:
        ctx = Context(args)
        request = request_from_args(args)
        ctx.open_db()
        gens, warnings = asyncio.run(_run(ctx, request))
    finally:
        gcpause.restore()
    for warning in warnings:
        print(f"sftui: warning: {inert(warning)}", file=sys.stderr)
    ok = all(g.status == "completed" for g in gens)
    data: Any = gens[0] if len(gens) == 1 else gens
    if ctx.as_json:
        if ok:
            emit_json(success(data))
        else:
            failed = [g for g in gens if g.status != "completed"]
            emit_json({**failure({"code": "generation_failed", "message": failed[0].error or "generation failed"}), "data": success(data)["data"]})
    else:
        for gen in gens:
            _print_summary(ctx, gen)
    return 0 if ok else 1


async def _run(ctx: Context, request):
    from sftui.cli import gcpause
    from sftui.generation.oneshot import generate as run_generation

    hooks: dict[str, Any] = {"on_reconcile": _tell_reconciled, "on_submitted": gcpause.resume}
    async with ctx.client() as client:
        if ctx.as_json:
            return await run_generation(request, db_path=ctx.db_path, client=client, sink=lambda e: emit_json(e.to_json()), **hooks)
        from sftui.cli.progress import GenerationProgress

        with GenerationProgress() as progress:
            return await run_generation(request, db_path=ctx.db_path, client=client, sink=progress.handle, **hooks)


def _tell_reconciled(report: Any) -> None:
    """Start-up reconciliation settled generations an earlier (killed) run left behind."""
    if report.summary():
        print(f"sftui: {inert(report.summary())}", file=sys.stderr)


def _print_summary(ctx: Context, gen: Any) -> None:
    if gen.status == "completed":
        files = [str(ctx.data_dir / f.path) for f in gen.output_files if f.path]
        took = f" in {gen.generation_time_seconds:.2f}s" if gen.generation_time_seconds is not None else ""
        seed = f"  seed {gen.seed}" if gen.seed is not None else ""
        print(f"completed {gen.id}{seed}{took}")
        for path in files:
            print(f"  {inert(path)}")
    else:
        seed = f"  seed {gen.seed}" if gen.seed is not None else ""
        print(f"failed {gen.id}{seed}: {inert(gen.error)}", file=sys.stderr)
