"""walk-in visitors; the follow-up call's score and issue; the host's arrangements

The front desk registers visitors who came without an appointment (seed 004 访客登记表) and
their host answers; the follow-up call records a satisfaction score (满意度 1–5) and any
issue the guests raised; a reception keeps what its host asked the admin office for after
approval (see-off, return tickets, welcome screen, materials, the tour).

Revision ID: 0009_h5_desk
Revises: 0008
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_h5_desk"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "walk_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registered_by_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("company", sa.String(length=100), nullable=False),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=12), nullable=True),
        sa.Column("belongings", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["host_id"], ["person.id"], name=op.f("fk_walk_in_host_id_person")),
        sa.ForeignKeyConstraint(
            ["registered_by_id"], ["person.id"], name=op.f("fk_walk_in_registered_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_in")),
    )
    with op.batch_alter_table("walk_in", schema=None) as batch_op:
        batch_op.create_index("ix_walk_in_day", ["registered_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_walk_in_host_id"), ["host_id"], unique=False)
    with op.batch_alter_table("reception", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_score", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("follow_up_issue", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("arrangements", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reception", schema=None) as batch_op:
        batch_op.drop_column("arrangements")
        batch_op.drop_column("follow_up_issue")
        batch_op.drop_column("follow_up_score")
    with op.batch_alter_table("walk_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_walk_in_host_id"))
        batch_op.drop_index("ix_walk_in_day")
    op.drop_table("walk_in")
