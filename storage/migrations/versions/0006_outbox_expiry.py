"""outbox.expires_at: a message no longer worth sending after a moment

Digests are handed over ten minutes before their time (handlers/schedule.py); one still unsent
at the end of its day's window (the bot down from the hand-over until evening) is dropped,
not sent as a stale "good morning" at night.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", storage.models.base.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
