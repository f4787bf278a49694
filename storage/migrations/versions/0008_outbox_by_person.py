"""outbox rows name a person, not a platform; cards and delivered parts are kept

A message queued for someone not linked yet was fixed to the console, and one queued before
they moved to another platform to the old one: linking never moved it. The platform is now
read when the row is claimed (the person's identity seen last). `card` lets a later row for
the same card make an unsent earlier one stale; `parts_sent` lets a retry skip the parts
(text pieces, the file) the platform already took.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("card", sa.String),
    sa.column("payload", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.drop_column("platform")
        batch_op.add_column(sa.Column("card", sa.String(length=80), nullable=True))
        batch_op.add_column(
            sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_outbox_pending", ["sent_at", "id"], unique=False)
        batch_op.create_index("ix_outbox_card", ["person_id", "card"], unique=False)
    bind = op.get_bind()
    waiting = bind.execute(
        sa.select(outbox.c.id, outbox.c.payload).where(sa.text("sent_at IS NULL"))
    )
    for row_id, payload in waiting.all():
        if payload.get("card"):
            bind.execute(outbox.update().where(outbox.c.id == row_id).values(card=payload["card"]))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_card")
        batch_op.drop_index("ix_outbox_pending")
        batch_op.drop_column("parts_sent")
        batch_op.drop_column("card")
        batch_op.add_column(
            sa.Column("platform", sa.String(length=16), nullable=False, server_default="console")
        )
        batch_op.create_index("ix_outbox_pending", ["platform", "sent_at", "id"], unique=False)
