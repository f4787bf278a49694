"""indexes the digests need at scale (bench/RESULTS.md, scale of data)

- person.manager_id: a manager's team (`WHERE manager_id = ?`), asked once per level of
  the org chart below them, read the whole person table;
- person.delegate_id: whose steps the reader decides as a delegate (pending approvals);
- reminder (subject, subject_id): the follow-up calls due in a salesperson's digest were
  found through every sent reminder of the company (`ix_reminder_due` on state and due
  time), a set that only grows; now through the person's own closed receptions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index("ix_person_manager_id", ["manager_id"], unique=False)
        batch_op.create_index("ix_person_delegate_id", ["delegate_id"], unique=False)
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_subject", ["subject", "subject_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_subject")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_delegate_id")
        batch_op.drop_index("ix_person_manager_id")
