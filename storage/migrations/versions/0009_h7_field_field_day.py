"""the day in the field: check-ins, daily reports, the manager's reviews, client coordinates

Revision ID: 0009_h7_field
Revises: 0009_h5_desk
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0009_h7_field"
down_revision: str | None = "0009_h5_desk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("checked_out_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
    op.create_table(
        "field_checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.models.base.UTCDateTime(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Integer(), nullable=True),
        sa.Column("outside_hours", sa.Boolean(), nullable=False),
        sa.Column("companions", sa.String(length=200), nullable=True),
        sa.Column("checked_out_at", storage.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_field_checkin_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_field_checkin_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_checkin")),
    )
    with op.batch_alter_table("field_checkin", schema=None) as batch_op:
        batch_op.create_index("ix_field_checkin_person", ["person_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_field_checkin_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            "uq_field_checkin_open",
            ["person_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )
    op.create_table(
        "daily_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("submitted_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_daily_report_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_report")),
        sa.UniqueConstraint("person_id", "day", name=op.f("uq_daily_report_person_id")),
    )
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_at", storage.models.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["person.id"], name=op.f("fk_review_author_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["person.id"], name=op.f("fk_review_reviewer_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
        sa.UniqueConstraint("subject", "subject_id", name=op.f("uq_review_subject")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_author_id"), ["author_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_author_id"))
    op.drop_table("review")
    op.drop_table("daily_report")
    with op.batch_alter_table("field_checkin", schema=None) as batch_op:
        batch_op.drop_index("uq_field_checkin_open")
        batch_op.drop_index(batch_op.f("ix_field_checkin_client_id"))
        batch_op.drop_index("ix_field_checkin_person")
    op.drop_table("field_checkin")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
