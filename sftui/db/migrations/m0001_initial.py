"""0001: the schema that existed before the enhancement (design §2.2).

Frozen DDL, independent of ``models.py``. ``IF NOT EXISTS`` lets the runner
adopt a database that already has these tables but no ``schema_migrations``
(one made by the earlier application). Nullability follows design §4.2,
except ``session_id``, which §2.2 (unlike ``workflow_id``) does not mark nullable.
"""

from __future__ import annotations

import peewee as pw

NAME = "0001_initial"

_STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS profiles (
        id VARCHAR(36) NOT NULL PRIMARY KEY,
        name VARCHAR(255) NOT NULL,
        created_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS comfyui_workflows (
        id VARCHAR(36) NOT NULL PRIMARY KEY,
        profile_id VARCHAR(36) REFERENCES profiles (id),
        name VARCHAR(255) NOT NULL,
        description TEXT,
        workflow_json TEXT NOT NULL,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS comfyui_sessions (
        id VARCHAR(36) NOT NULL PRIMARY KEY,
        profile_id VARCHAR(36) REFERENCES profiles (id),
        title VARCHAR(255) NOT NULL,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS comfyui_generations (
        id VARCHAR(36) NOT NULL PRIMARY KEY,
        workflow_id VARCHAR(36) REFERENCES comfyui_workflows (id) ON DELETE SET NULL,
        session_id VARCHAR(36) NOT NULL REFERENCES comfyui_sessions (id) ON DELETE CASCADE,
        prompt_id VARCHAR(255),
        prompt_text TEXT,
        status VARCHAR(32) NOT NULL DEFAULT 'pending',
        outputs TEXT,
        error TEXT,
        created_at TIMESTAMP NOT NULL,
        completed_at TIMESTAMP
    )""",
)


def apply(db: pw.SqliteDatabase) -> None:
    for statement in _STATEMENTS:
        db.execute_sql(statement)
