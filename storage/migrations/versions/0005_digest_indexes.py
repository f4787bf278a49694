"""indexes whose choice by the planner does not hang on statistics (bench/RESULTS.md, scale
of data)

visitdesk now analyses a SQLite database when it opens it (storage/db.py), sampling each
index; two plans then went wrong:

- person.delegate_id: almost everyone's is NULL, and the statistics count those NULLs as
  one value shared by the whole table, so the planner judged the index useless and read the
  whole person table to find who delegated to a digest's reader. It now holds only the people
  who delegate, the only rows `delegate_id = ?` can match (PostgreSQL uses it alike);
- reception (requester_id, state) gains arrival_at: a salesperson's receptions of today and
  tomorrow were read, on some samples, as the whole company's arrivals of those two days
  (`ix_reception_arrival`) filtered by requester. With the arrival time in it, this index
  answers that query alone, whatever the statistics say.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELEGATES = sa.text("delegate_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_delegate_id")
        batch_op.create_index(
            "ix_person_delegate_id",
            ["delegate_id"],
            unique=False,
            sqlite_where=DELEGATES,
            postgresql_where=DELEGATES,
        )
    with op.batch_alter_table("reception", schema=None) as batch_op:
        batch_op.drop_index("ix_reception_requester")
        batch_op.create_index(
            "ix_reception_requester", ["requester_id", "state", "arrival_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reception", schema=None) as batch_op:
        batch_op.drop_index("ix_reception_requester")
        batch_op.create_index("ix_reception_requester", ["requester_id", "state"], unique=False)
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_delegate_id")
        batch_op.create_index("ix_person_delegate_id", ["delegate_id"], unique=False)
