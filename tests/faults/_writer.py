"""Writers for the crash test, SIGKILLed at random moments (``python -m tests.faults._writer``).

This process imports everything once, then forks one writer after another and
kills each a random 5–80 ms after it is set up (a fifth of them: after the fork, so
some die opening the database), so the kills land in transactions, downloads
(``.part`` then ``os.replace``) and deletions.
Each writer journals what it committed (after the commit, so the journal is a lower
bound) and what it is about to delete (before, so the check knows what may be gone).
Prints one JSON line: how many writers were forked, killed, or died on their own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
import traceback
import uuid
from pathlib import Path

from sftui import db
from sftui.comfy.client import ComfyClient
from sftui.comfy.models import OutputRef
from sftui.generation.lease import ClientLease
from sftui.generation.tracking import download_outputs

# Not a valid prompt: whatever reconciliation posts later is refused by the server (and fails).
SNAPSHOT = json.dumps({"1": {"class_type": "SaveImage", "inputs": {}}})


def writer(args: argparse.Namespace, seed: int, ready: int) -> None:
    rng = random.Random(seed)
    early = rng.random() < 0.2
    if early:
        os.write(ready, b"r")  # this one may die while opening the database
    db.open_database(args.db)
    data_dir = Path(args.db).parent
    client_id = f"writer-{uuid.uuid4()}"
    ClientLease.acquire(data_dir, client_id)
    journal = os.open(args.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def note(*parts: str) -> None:
        os.write(journal, (" ".join(parts) + "\n").encode())

    loop = asyncio.new_event_loop()
    client = ComfyClient(args.server, client_id=client_id)
    refs = [OutputRef(node_id="9", filename=args.ref), OutputRef(node_id="9", filename=args.ref)]
    loop.run_until_complete(client.system_stats())  # connected, so downloads start at once
    if not early:
        os.write(ready, b"r")
    while True:
        sessions = db.list_sessions()
        roll = rng.random()
        if len(sessions) < 2 or roll < 0.06:
            note("session", db.create_session(f"crash {rng.randrange(10**6)}").id)
            continue
        if roll < 0.10:
            victim = rng.choice(sessions).id
            note("deleting", victim)
            db.delete_session(victim, data_dir=data_dir)
            continue
        session = rng.choice(sessions).id
        gen = db.create_generation(
            session_id=session,
            prompt_text="crash test",
            parameters={"seed": rng.randrange(2**64), "steps": 4},
            workflow_json_snapshot=SNAPSHOT,
            server_url=client.base_url,
            client_id=client_id,
        )
        note("created", gen.id, session)
        db.mark_generation_submitted(gen.id, prompt_id=str(uuid.uuid4()))
        db.mark_generation_running(gen.id)
        if rng.random() < 0.75:
            wanted = refs[: rng.choice((1, 2))]
            files = loop.run_until_complete(download_outputs(gen, wanted, client, data_dir))
            if db.complete_generation(gen.id, outputs=[r.filename for r in wanted], output_files=files, generation_time_seconds=0.1):
                note("completed", gen.id)
        elif db.fail_generation(gen.id, error="failed on purpose"):
            note("failed", gen.id)


def _completed(journal: str) -> int:
    try:
        return Path(journal).read_text().count("completed ")
    except FileNotFoundError:
        return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--ref", required=True, help="a file in the server's output folder")
    parser.add_argument("--journal", required=True)
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--min-completed", type=int, default=10, help="go on (up to --max-kills) until this many completions")
    parser.add_argument("--max-kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    killed = died = index = 0
    while index < args.kills or (_completed(args.journal) < args.min_completed and index < args.max_kills):
        index += 1
        delay = rng.uniform(0.005, 0.080)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 0
            os.close(read_end)
            try:
                writer(args, args.seed * 100_000 + index, write_end)
            except BaseException:
                traceback.print_exc()
                code = 3
            finally:
                os._exit(code)
        os.close(write_end)
        # The clock starts once the writer is set up (or at once for a fifth of them).
        os.read(read_end, 1)
        os.close(read_end)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            killed += 1
        else:
            died += 1
    print(json.dumps({"forked": index, "killed": killed, "died": died}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
