"""One seeded generation row: parameters, snapshot, status, timings and outputs.

Rows are plain dicts keyed by ``GenerationRow`` column names holding Python values;
the storage layer's fields turn them into what SQLite keeps.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sftui.db.models import STATUS_COMPLETED, STATUS_FAILED
from sftui.devtools import params as P
from sftui.devtools import vocab
from sftui.devtools.images import ImageBank

SERVER_URL = "http://127.0.0.1:8188"
SAVE_NODE = "9"  # the default workflow's SaveImage
SECONDS_PER_STEP_1MP = (0.18, 0.35)


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class SessionPlan:
    """A seeded session while its rows are made; its counters are what was inserted."""

    id: str
    title: str
    subject: str
    looks: list[dict[str, Any]]
    style: dict[str, Any]
    negative: str | None
    uses_workflow: bool
    generation_count: int = 0
    completed_count: int = 0
    failed_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_parameters: dict[str, Any] = field(default_factory=dict)
    current_workflow_id: str | None = None


@dataclass
class _Run:
    """A ``--count`` run: same prompt and parameters, consecutive seeds."""

    left: int
    prompt: str
    seed: int
    index: int = 0


class RowMaker:
    def __init__(self, rng: random.Random, snapshots: P.SnapshotMaker, images: ImageBank, workflow_id: str | None, failed_ratio: float) -> None:
        self.rng = rng
        self.snapshots = snapshots
        self.images = images
        self.workflow_id = workflow_id
        self.failed_ratio = failed_ratio
        self.client_id = new_uuid(rng)
        self._counter = 0
        #: Files to place (``ImageBank.place_many``), collected so the caller can do it in a thread.
        self.pending_files: list[tuple[Path, tuple[int, int], int]] = []
        self._runs: dict[str, _Run] = {}

    def take_files(self) -> list[tuple[Path, tuple[int, int], int]]:
        files, self.pending_files = self.pending_files, []
        return files

    def new_sitting(self) -> None:
        """A new burst of work: a new client id (a new app start), runs end."""
        self.client_id = new_uuid(self.rng)
        self._runs.clear()

    def make(self, session: SessionPlan, created_at: datetime) -> dict[str, Any]:
        rng = self.rng
        gen_id = new_uuid(rng)
        prompt_text, seed, batch_index = self._prompt_and_seed(session)
        snapshot, stored = self.snapshots.make(session.style, prompt_text, session.negative, seed)
        row: dict[str, Any] = {
            "id": gen_id,
            "session_id": session.id,
            "workflow_id": self.workflow_id if session.uses_workflow else None,
            "workflow_json_snapshot": snapshot,
            "workflow_ui_snapshot": None,
            "prompt_text": prompt_text,
            "negative_prompt": session.negative,
            "parameters": stored,
            "width": stored.get("width"),
            "height": stored.get("height"),
            "steps": stored.get("steps"),
            "cfg_scale": stored.get("cfg_scale"),
            "seed": seed,
            "sampler_name": stored.get("sampler_name"),
            "scheduler": stored.get("scheduler"),
            "batch_size": stored.get("batch_size") or 1,
            "checkpoint_name": stored.get("checkpoint_name"),
            "loras_used": stored.get("loras") or [],
            "batch_index": batch_index,
            "server_url": SERVER_URL,
            "client_id": self.client_id,
            "created_at": created_at,
            "error": None,
            "error_details": None,
        }
        if rng.random() < self.failed_ratio:
            self._fail(row, created_at)
        else:
            self._complete(row, created_at)
        return row

    def _prompt_and_seed(self, session: SessionPlan) -> tuple[str, int, int]:
        rng = self.rng
        run = self._runs.get(session.id)
        if run is not None and run.left > 0:
            run.left -= 1
            run.index += 1
            return run.prompt, (run.seed + run.index) % P.SEED_LIMIT, run.index
        session.style = P.switch_style(rng, session.looks, session.style)
        if rng.random() < 0.1:
            session.negative = vocab.make_negative(rng)
        subject = session.subject if rng.random() < 0.7 else None
        prompt = vocab.make_prompt(rng, subject)
        seed = P.random_seed(rng)
        if rng.random() < 0.1:
            self._runs[session.id] = _Run(rng.randint(1, 3), prompt, seed)
        else:
            self._runs.pop(session.id, None)
        return prompt, seed, 0

    def _duration(self, row: dict[str, Any]) -> float:
        megapixels = (row["width"] or 1024) * (row["height"] or 1024) / 1024**2
        per_step = self.rng.uniform(*SECONDS_PER_STEP_1MP)
        return round((row["steps"] or 20) * megapixels * per_step * row["batch_size"] ** 0.9 + self.rng.uniform(0.3, 1.5), 3)

    def _complete(self, row: dict[str, Any], created_at: datetime) -> None:
        started = created_at + timedelta(seconds=self.rng.uniform(0.05, 2.0))
        took = self._duration(row)
        finished = started + timedelta(seconds=took)
        names, files = [], []
        size = (row["width"] or 1024, row["height"] or 1024)
        for _ in range(row["batch_size"]):
            self._counter += 1
            name = f"sftui_{self._counter:05d}_.png"
            relative = Path("outputs") / row["session_id"] / row["id"] / name
            self.pending_files.append((self.images.data_dir / relative, size, self.rng.randrange(1 << 16)))
            names.append(name)
            files.append({"node_id": SAVE_NODE, "filename": name, "subfolder": "", "type": "output", "path": relative.as_posix()})
        row.update(
            status=STATUS_COMPLETED,
            prompt_id=new_uuid(self.rng),
            outputs=names,
            output_files=files,
            generation_time_seconds=took,
            started_at=started,
            completed_at=finished,
            updated_at=finished,
        )

    def _fail(self, row: dict[str, Any], created_at: datetime) -> None:
        failure = vocab.make_failure(self.rng)
        if failure.ran:
            started: datetime | None = created_at + timedelta(seconds=self.rng.uniform(0.05, 2.0))
            finished = started + timedelta(seconds=self._duration(row) * self.rng.random())
            prompt_id: str | None = new_uuid(self.rng)
        else:
            started, finished, prompt_id = None, created_at + timedelta(milliseconds=self.rng.uniform(20, 120)), None
        row.update(
            status=STATUS_FAILED,
            prompt_id=prompt_id,
            outputs=[],
            output_files=[],
            error=failure.error,
            error_details=failure.details,
            generation_time_seconds=None,
            started_at=started,
            completed_at=finished,
            updated_at=finished,
        )
