"""sftui's storage: SQLite through Peewee, migrations, and pydantic results.

Open the database once with ``open_database(path)``; the query functions
below then work from any thread (each thread gets its own connection).
"""

from __future__ import annotations

from sftui.db.connection import close_database, current_database_path, open_database
from sftui.db.generations import (
    any_unfinished_generations,
    complete_generation,
    create_generation,
    fail_generation,
    get_generation,
    get_generation_workflow,
    list_unfinished_generations,
    mark_generation_running,
    mark_generation_submitted,
    requeue_generation,
)
from sftui.db.models import DEFAULT_PROFILE_ID
from sftui.db.schemas import (
    ErrorDetails,
    Generation,
    GenerationParameters,
    GenerationStatus,
    LoraConfig,
    OutputFile,
    Session,
    SessionDetail,
    Workflow,
    WorkflowParameter,
    WorkflowSummary,
)
from sftui.db.sessions import (
    count_sessions,
    create_session,
    delete_session,
    encode_cursor,
    find_session,
    get_session,
    get_session_from_oldest,
    get_session_summary,
    list_sessions,
    search_sessions,
    update_session,
)
from sftui.db.values import SEED_MAX
from sftui.db.workflows import (
    create_workflow,
    delete_workflow,
    find_workflow,
    get_default_workflow,
    get_workflow,
    list_workflows,
    update_workflow,
)

__all__ = [
    "DEFAULT_PROFILE_ID",
    "SEED_MAX",
    "ErrorDetails",
    "Generation",
    "GenerationParameters",
    "GenerationStatus",
    "LoraConfig",
    "OutputFile",
    "Session",
    "SessionDetail",
    "Workflow",
    "WorkflowParameter",
    "WorkflowSummary",
    "any_unfinished_generations",
    "close_database",
    "complete_generation",
    "create_generation",
    "create_session",
    "create_workflow",
    "current_database_path",
    "delete_session",
    "delete_workflow",
    "encode_cursor",
    "fail_generation",
    "find_session",
    "find_workflow",
    "get_default_workflow",
    "get_generation",
    "get_generation_workflow",
    "get_session",
    "get_session_from_oldest",
    "get_session_summary",
    "get_workflow",
    "list_sessions",
    "count_sessions",
    "search_sessions",
    "list_unfinished_generations",
    "list_workflows",
    "mark_generation_running",
    "mark_generation_submitted",
    "open_database",
    "requeue_generation",
    "update_session",
    "update_workflow",
]
