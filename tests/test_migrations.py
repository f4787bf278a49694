"""The migrations build exactly the schema the models describe, so a model change without
its migration fails here rather than on someone's production database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import Database
from storage.models import Base, Draft


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrading_twice_changes_nothing(db: Database) -> None:
    db.upgrade()  # already at head: a second start must be a no-op
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == "0009_h6_score"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_deleted_drafts_id_is_never_given_to_the_next(org_db: Database) -> None:
    """Form buttons name their draft by id: the newest draft, cancelled, must not hand its id
    on (SQLite reuses the largest rowid without AUTOINCREMENT, migration 0007)."""
    ids = []
    for _ in range(2):
        with org_db.session() as session:
            draft = Draft(person_id=1, flow="rcp", step="", data={}, history={})
            session.add(draft)
            session.flush()
            ids.append(draft.id)
            session.delete(draft)
    assert ids[0] != ids[1]
