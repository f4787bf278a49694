"""draft ids are never reused (SQLite AUTOINCREMENT)

A form's buttons name their draft by id, so that a button of a cancelled or replaced draft
is told apart from the draft open now. SQLite without AUTOINCREMENT gives a new row the
largest id plus one: a person's draft, cancelled while it was the newest row, would hand
its id to the next one, and its old buttons would act on it. PostgreSQL's sequences never
hand an id out twice; there is nothing to change.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild_draft(autoincrement: bool) -> None:
    """SQLite cannot alter a table's id this way: the table is copied into a new one."""
    if op.get_bind().dialect.name != "sqlite":
        return
    table_kwargs = {"sqlite_autoincrement": True} if autoincrement else {}
    with op.batch_alter_table("draft", recreate="always", table_kwargs=table_kwargs):
        pass


def upgrade() -> None:
    _rebuild_draft(autoincrement=True)


def downgrade() -> None:
    _rebuild_draft(autoincrement=False)
