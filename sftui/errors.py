"""sftui's own error types.

Every error a user can cause (a bad file, an unknown id, an unreachable
server) is a ``SftuiError``. The CLI prints ``str(error)`` as one line and
exits with ``error.exit_code``; anything else is a bug and keeps its traceback.
``code`` is the machine-readable name used in the ``--json`` envelope.
"""

from __future__ import annotations

from typing import Any


class SftuiError(Exception):
    code = "error"
    exit_code = 1

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


class UsageError(SftuiError):
    code = "usage"
    exit_code = 2


class NotConfirmed(SftuiError):
    """A destructive command was declined, or could not ask (not a terminal, no ``--yes``)."""

    code = "not_confirmed"


class NotFoundError(SftuiError):
    code = "not_found"


class ConflictError(SftuiError):
    code = "conflict"


class WorkflowError(SftuiError):
    """A workflow that cannot be read, converted, validated or applied."""

    code = "invalid_workflow"


class ParameterError(WorkflowError):
    code = "invalid_parameter"


class ObjectInfoUnavailable(WorkflowError):
    code = "object_info_unavailable"


class ServerError(SftuiError):
    """The ComfyUI server could not be reached or answered with an error."""

    code = "server_error"


class ServerUnreachable(ServerError):
    code = "server_unreachable"


class PromptRejected(ServerError):
    """POST /prompt answered with ``error`` and/or ``node_errors``."""

    code = "prompt_rejected"


class DatabaseError(SftuiError):
    code = "database_error"
