"""Posting a stored generation to ComfyUI: the id is chosen and recorded before the POST.

sftui picks each prompt id itself (ComfyUI honours ``prompt_id`` in ``POST /prompt``)
and stores it with a compare-and-set *before* posting. So a crash between the POST
and its answer leaves a row whose prompt id the server can be asked about, and two
processes can never both post the same generation.

- A first submission (and a Retry) uses a random UUID4.
- An automatic resubmission of a lost prompt uses a UUID5 derived from the
  generation id and the lost prompt id. Its version marks it: a lost prompt whose id
  is a UUID5 has already been resubmitted once and is not posted again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Literal


from sftui.comfy.httpio import httpx
from sftui.errors import ServerError, ServerUnreachable, SftuiError, WorkflowError

log = logging.getLogger(__name__)

RESUBMIT_NAMESPACE = uuid.UUID("4f0b6a52-2d5e-4e39-9c55-3f4d1b1f6a10")

PostStatus = Literal["queued", "rejected", "undelivered", "uncertain", "superseded"]


def new_prompt_id() -> str:
    return str(uuid.uuid4())


def resubmission_id(generation_id: str, lost_prompt_id: str) -> str:
    return str(uuid.uuid5(RESUBMIT_NAMESPACE, f"{generation_id}/{lost_prompt_id}"))


def is_resubmission(prompt_id: str | None) -> bool:
    try:
        return uuid.UUID(str(prompt_id)).version == 5
    except ValueError:
        return False


def snapshot_of(gen: Any) -> dict:
    """The exact API prompt stored with the generation: what a (re)submission posts."""
    if not gen.workflow_json_snapshot:
        raise WorkflowError(f"generation {gen.id} has no stored workflow snapshot to submit")
    try:
        prompt = json.loads(gen.workflow_json_snapshot)
    except json.JSONDecodeError as exc:
        raise WorkflowError(f"generation {gen.id} holds an unreadable workflow snapshot: {exc}") from None
    if not isinstance(prompt, dict):
        raise WorkflowError(f"generation {gen.id} holds a workflow snapshot that is not an object")
    return prompt


def extra_pnginfo(gen: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {"sftui": {"generation_id": gen.id, "session_id": gen.session_id}}
    if gen.workflow_ui_snapshot:
        try:
            extra = {"workflow": json.loads(gen.workflow_ui_snapshot), **extra}
        except json.JSONDecodeError:
            log.warning("generation %s: UI snapshot unreadable; the image will carry no UI graph", gen.id)
    return extra


@dataclass
class PostResult:
    status: PostStatus
    prompt_id: str | None = None
    error: SftuiError | None = None


def never_delivered(exc: ServerUnreachable) -> bool:
    """True when the request surely never reached the server (no connection was made)."""
    return isinstance(exc.__cause__, (httpx.ConnectError, httpx.ConnectTimeout))


async def post_generation(gen: Any, client: Any, *, expected: str | None, prompt_id: str) -> PostResult:
    """Claim ``prompt_id`` for the row (its prompt id must still be ``expected``), then post it.

    A refusal by the server fails the row; a transport failure leaves it as claimed
    for the caller to decide (``undelivered``: surely not received; ``uncertain``: maybe).
    """
    from sftui.db import fail_generation, mark_generation_submitted
    from sftui.db.generations import claim_generation_prompt

    claimed = await asyncio.to_thread(
        lambda: claim_generation_prompt(gen.id, expected=expected, prompt_id=prompt_id, client_id=client.client_id)
    )
    if not claimed:
        return PostResult("superseded")
    try:
        prompt = snapshot_of(gen)
        queued = await client.queue_prompt(prompt, extra_pnginfo=extra_pnginfo(gen), prompt_id=prompt_id)
    except ServerUnreachable as exc:
        return PostResult("undelivered" if never_delivered(exc) else "uncertain", prompt_id, exc)
    except SftuiError as exc:
        await withdraw_partial(client, exc)
        details = {"code": exc.code, **(exc.details or {})}
        await asyncio.to_thread(lambda: fail_generation(gen.id, error=exc.message, error_details=details))
        return PostResult("rejected", None, exc)
    if queued.prompt_id != prompt_id:
        # An older server ignores our id and picks one; it is the one to ask about.
        await asyncio.to_thread(lambda: mark_generation_submitted(gen.id, prompt_id=queued.prompt_id))
    return PostResult("queued", queued.prompt_id)


async def withdraw_partial(client: Any, exc: SftuiError) -> None:
    """A 200 with node_errors queued the valid branches; sftui treats it as failed, so drop it."""
    prompt_id = (exc.details or {}).get("prompt_id")
    if prompt_id:
        await withdraw(client, prompt_id)


async def withdraw(client: Any, prompt_id: str) -> None:
    """Delete the prompt if it waits, interrupt it if it runs (only this prompt)."""
    try:
        await client.delete_queued([prompt_id])
        await client.interrupt(prompt_id)
    except ServerError as err:
        log.warning("could not withdraw prompt %s: %s", prompt_id, err.message)
