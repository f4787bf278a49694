"""the assessment (plan targets, manual marks), plan entry time and expected outcome,
client satisfaction after a visit, complaints

Revision ID: 0009_h6_score
Revises: 0009_h7_field
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models.base

revision: str = "0009_h6_score"
down_revision: str | None = "0009_h7_field"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.models.base.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("visit_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("targets", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("plan_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_time", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("expected_outcome", sa.String(length=16), nullable=True))

    op.create_table(
        "assessment_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=20), nullable=False),
        sa.Column("mark", sa.Integer(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_assessment_mark_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"], ["person.id"], name=op.f("fk_assessment_mark_marked_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_mark")),
        sa.UniqueConstraint(
            "person_id", "year", "month", "item", name=op.f("uq_assessment_mark_person_id")
        ),
    )
    op.create_table(
        "satisfaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("issue", sa.Text(), nullable=True),
        sa.Column("recorded_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_satisfaction_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_satisfaction_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_satisfaction_visit_id_visit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_satisfaction_visit_id")),
    )
    with op.batch_alter_table("satisfaction", schema=None) as batch_op:
        batch_op.create_index("ix_satisfaction_client", ["client_id", "recorded_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_satisfaction_person_id"), ["person_id"], unique=False)

    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("responsible_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("satisfaction_id", sa.Integer(), nullable=True),
        sa.Column("repeat_of_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTC(), nullable=False),
        sa.Column("told_at", UTC(), nullable=True),
        sa.Column("answered_at", UTC(), nullable=True),
        sa.Column("called_back_at", UTC(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("closed_at", UTC(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_complaint_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_complaint_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["responsible_id"], ["person.id"], name=op.f("fk_complaint_responsible_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["person.id"], name=op.f("fk_complaint_closed_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["satisfaction_id"],
            ["satisfaction.id"],
            name=op.f("fk_complaint_satisfaction_id_satisfaction"),
        ),
        sa.ForeignKeyConstraint(
            ["repeat_of_id"], ["complaint.id"], name=op.f("fk_complaint_repeat_of_id_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index("ix_complaint_client", ["client_id", "opened_at"], unique=False)
        batch_op.create_index("ix_complaint_state", ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("complaint")
    op.drop_table("satisfaction")
    op.drop_table("assessment_mark")
    with op.batch_alter_table("plan_entry", schema=None) as batch_op:
        batch_op.drop_column("expected_outcome")
        batch_op.drop_column("planned_time")
    with op.batch_alter_table("visit_plan", schema=None) as batch_op:
        batch_op.drop_column("targets")
