"""``seed_database``: sessions full of finished generations, written in bulk.

Rows go in through the storage layer's models (``insert_many`` on ``GenerationRow``,
so every value is stored exactly as the app stores it), many thousands per
``BEGIN IMMEDIATE`` transaction. Each transaction also moves the counters of the
sessions and the workflow it touched, so after every commit ``generation_count``,
``completed_count``, ``failed_count`` and the workflow's ``generation_count``
equal what ``COUNT(*)`` finds.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from sftui.devtools import params as P
from sftui.devtools import vocab
from sftui.devtools.images import FilePlacer, ImageBank
from sftui.devtools.rows import RowMaker, SessionPlan, new_uuid
from sftui.devtools.schedule import make_schedule
from sftui.errors import ConflictError, UsageError
from sftui.workflows.options import SDXL_PRESETS

#: Seeded history ends here (not "now"), so one ``rng_seed`` always gives the same rows.
DEFAULT_END = datetime(2025, 6, 1, 18, 0, tzinfo=timezone.utc)
DEFAULT_SPAN = timedelta(days=180)
WORKFLOW_NAME = "Default text-to-image (seeded)"
#: Distinct looks (parameter sets) all sessions draw from.
STYLE_POOL = 120

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SeedOptions:
    db_path: Path
    #: Generations of each session to create, in order (``[10, 1000]`` = two sessions).
    sizes: tuple[int, ...]
    rng_seed: int = 1
    #: Distinct pictures rendered per SDXL preset (5 presets).
    images_per_size: int = 8
    #: The thumbnail cache to fill (the TUI's ``cache_dir``); None makes no thumbnails.
    cache_dir: Path | None = None
    failed_ratio: float = 0.08
    end: datetime = DEFAULT_END
    span: timedelta = DEFAULT_SPAN
    #: Rows per write transaction.
    transaction_rows: int = 10_000


@dataclass
class SeedReport:
    db_path: str
    session_ids: list[str]
    sessions: int = 0
    generations: int = 0
    completed: int = 0
    failed: int = 0
    output_files: int = 0
    thumbnails: int = 0
    images_rendered: int = 0
    workflow_id: str | None = None
    distinct_parameter_sets: int = 0
    first_created_at: str | None = None
    last_created_at: str | None = None
    elapsed_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(options: SeedOptions) -> None:
    if not options.sizes:
        raise UsageError("--sessions must be at least 1")
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in options.sizes):
        raise UsageError("--generations must be 0 or more")
    if options.images_per_size < 1:
        raise UsageError("images_per_size must be at least 1")
    if not 0.0 <= options.failed_ratio <= 1.0:
        raise UsageError("failed_ratio must be between 0 and 1")


def seed_database(options: SeedOptions, progress: Progress | None = None) -> SeedReport:
    """Fill ``options.db_path`` (created if needed); ``progress(done, total)`` after each batch."""
    from sftui.comfy.simulator.catalog import Catalog
    from sftui.db import open_database

    _check(options)
    started = time.perf_counter()
    open_database(options.db_path)
    data_dir = Path(options.db_path).expanduser().resolve().parent
    rng = random.Random(options.rng_seed)
    object_info = Catalog().info
    choices = P.Options.from_object_info(object_info)
    workflow_id = new_uuid(rng)
    pool = P.style_pool(rng, choices, STYLE_POOL)
    plans = [_plan_session(rng, pool, i) for i in range(len(options.sizes))]
    _refuse_existing(workflow_id, [p.id for p in plans], options.rng_seed)
    schedule = make_schedule(rng, list(options.sizes), end=options.end, span=options.span)
    sizes = sorted({(p["width"], p["height"]) for p in SDXL_PRESETS})
    images = ImageBank(data_dir, sizes, options.images_per_size, options.rng_seed, options.cache_dir)
    maker = RowMaker(rng, P.SnapshotMaker(P.default_prompt(), object_info), images, workflow_id, options.failed_ratio)
    _insert_workflow(workflow_id, object_info, schedule.start)
    _insert_sessions(plans, schedule)
    report = SeedReport(db_path=str(options.db_path), session_ids=[p.id for p in plans], sessions=len(plans), workflow_id=workflow_id)
    total = len(schedule.owners)
    done = 0
    if progress:
        progress(0, total)
    with FilePlacer(images) as placer:
        while done < total:
            stop = min(total, done + max(1, options.transaction_rows))
            rows = []
            for index in range(done, stop):
                if index in schedule.burst_starts:
                    maker.new_sitting()
                rows.append(maker.make(plans[schedule.owners[index]], schedule.created_at(index)))
            placer.submit(maker.take_files())
            _write_batch(rows, plans, workflow_id)
            _count(report, rows)
            done = stop
            if progress:
                progress(done, total)
    if total:
        report.first_created_at = schedule.created_at(0).isoformat()
        report.last_created_at = schedule.created_at(total - 1).isoformat()
    report.output_files, report.thumbnails, report.images_rendered = placer.files, placer.thumbnails, images.rendered
    report.distinct_parameter_sets = maker.snapshots.applied
    report.elapsed_seconds = round(time.perf_counter() - started, 3)
    return report


def _plan_session(rng: random.Random, pool: list[dict[str, Any]], index: int) -> SessionPlan:
    subject = rng.choice(vocab.SUBJECTS)
    looks = rng.sample(pool, rng.randint(1, 4))
    return SessionPlan(
        id=new_uuid(rng),
        title=vocab.make_title(rng, subject, index),
        subject=subject,
        looks=looks,
        style=looks[0],
        negative=vocab.make_negative(rng),
        uses_workflow=rng.random() < 0.7,
    )


def _refuse_existing(workflow_id: str, session_ids: list[str], rng_seed: int) -> None:
    from sftui.db.models import SessionRow, WorkflowRow

    taken = WorkflowRow.select().where(WorkflowRow.id == workflow_id).exists() or (
        SessionRow.select().where(SessionRow.id.in_(session_ids[:500])).exists()
    )
    if taken:
        raise ConflictError(f"this database already holds the rows of --rng-seed {rng_seed}; pick another seed or a new --db file")


def _insert_workflow(workflow_id: str, object_info: dict[str, Any], created_at: datetime) -> None:
    from sftui.db.common import write_transaction
    from sftui.db.models import DEFAULT_PROFILE_ID, WorkflowRow
    from sftui.workflows.extract import extract_parameters

    prompt = P.default_prompt()
    with write_transaction():
        WorkflowRow.insert(
            id=workflow_id,
            profile_id=DEFAULT_PROFILE_ID,
            name=WORKFLOW_NAME,
            description="The built-in text-to-image workflow, saved by `sftui dev seed`.",
            workflow_json=json.dumps(prompt, ensure_ascii=False),
            workflow_ui_json=None,
            source_format="api",
            default_parameters={},
            extracted_parameters=extract_parameters(prompt, object_info),
            thumbnail_url=None,
            is_default=False,
            generation_count=0,
            created_at=created_at,
            updated_at=created_at,
        ).execute()


def _insert_sessions(plans: list[SessionPlan], schedule: Any) -> None:
    from sftui.db.common import write_transaction
    from sftui.db.models import DEFAULT_PROFILE_ID, SessionRow

    firsts: dict[int, int] = {}
    for index, owner in enumerate(schedule.owners):
        firsts.setdefault(owner, index)
    rows = []
    for i, plan in enumerate(plans):
        first = firsts.get(i)
        opened = schedule.start if first is None else schedule.created_at(first)
        plan.created_at = plan.updated_at = opened - timedelta(seconds=30 + 7 * (i % 50))
        rows.append(
            {
                "id": plan.id, "profile_id": DEFAULT_PROFILE_ID, "current_workflow_id": None, "title": plan.title,
                "last_parameters": {}, "draft": {}, "generation_count": 0, "completed_count": 0, "failed_count": 0,
                "created_at": plan.created_at, "updated_at": plan.updated_at,
            }
        )
    with write_transaction():
        for start in range(0, len(rows), 2_000):
            SessionRow.insert_many(rows[start : start + 2_000]).execute()


def _write_batch(rows: list[dict[str, Any]], plans: list[SessionPlan], workflow_id: str) -> None:
    """Insert ``rows`` and move every counter they change, in one transaction."""
    from sftui.db.common import write_transaction
    from sftui.db.models import GenerationRow, SessionRow, WorkflowRow

    by_id = {plan.id: plan for plan in plans}
    touched: dict[str, SessionPlan] = {}
    deltas: dict[str, list[int]] = {}
    uses_workflow = 0
    for row in rows:
        plan = by_id[row["session_id"]]
        delta = deltas.setdefault(plan.id, [0, 0, 0])
        delta[0] += 1
        delta[1 if row["status"] == "completed" else 2] += 1
        plan.last_parameters = row["parameters"]
        if row["workflow_id"] is not None:
            plan.current_workflow_id = row["workflow_id"]
            uses_workflow += 1
        plan.updated_at = max(plan.updated_at or row["updated_at"], row["updated_at"])
        touched[plan.id] = plan
    with write_transaction():
        _insert_rows(GenerationRow, rows)
        for session_id, (total, completed, failed) in deltas.items():
            plan = touched[session_id]
            SessionRow.update(
                {
                    SessionRow.generation_count: SessionRow.generation_count + total,
                    SessionRow.completed_count: SessionRow.completed_count + completed,
                    SessionRow.failed_count: SessionRow.failed_count + failed,
                    SessionRow.updated_at: plan.updated_at,
                    SessionRow.last_parameters: plan.last_parameters,
                    SessionRow.current_workflow_id: plan.current_workflow_id,
                }
            ).where(SessionRow.id == session_id).execute()
        if uses_workflow:
            WorkflowRow.update(generation_count=WorkflowRow.generation_count + uses_workflow).where(
                WorkflowRow.id == workflow_id
            ).execute()
    for session_id, (total, completed, failed) in deltas.items():
        plan = touched[session_id]
        plan.generation_count += total
        plan.completed_count += completed
        plan.failed_count += failed


def _insert_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """``executemany`` of one INSERT built from the model, each value through its field's ``db_value``.

    Peewee's ``insert_many`` builds SQL text for every value (about 0.6 ms a row here);
    one prepared statement run for all rows is twenty times faster and stores the same.
    """
    fields = [model._meta.fields[name] for name in rows[0]]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({", ".join("?" * len(fields))})'
    pairs = [(f.name, f.db_value) for f in fields]
    model._meta.database.cursor().executemany(sql, ([convert(row[name]) for name, convert in pairs] for row in rows))


def _count(report: SeedReport, rows: list[dict[str, Any]]) -> None:
    report.generations += len(rows)
    completed = sum(1 for row in rows if row["status"] == "completed")
    report.completed += completed
    report.failed += len(rows) - completed
