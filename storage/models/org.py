"""People, their platform identities and link codes, clients and contacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow


class Person(Base):
    """Someone in the org chart: a salesperson, a manager, the front desk..."""

    __tablename__ = "person"
    # Only the people who delegate: the others' NULLs would make SQLite's statistics judge
    # the index useless (migration 0005).
    __table_args__ = (
        Index(
            "ix_person_delegate_id",
            "delegate_id",
            sqlite_where=text("delegate_id IS NOT NULL"),
            postgresql_where=text("delegate_id IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    department: Mapped[str] = mapped_column(String(100), default="")
    roles: Mapped[str] = mapped_column(String(200), default="")  # space-separated role names
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str | None] = mapped_column(String(64))
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    delegate_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    manager: Mapped[Person | None] = relationship(
        remote_side=[id], foreign_keys=[manager_id], lazy="joined", join_depth=1
    )
    identities: Mapped[list[Identity]] = relationship(back_populates="person")

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())

    def has_role(self, role: str) -> bool:
        return role in self.role_set


class Identity(Base):
    """A platform account linked to a person (a Telegram user, a Slack team+user)."""

    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("platform", "platform_user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str | None] = mapped_column(String(64))  # where to write to them
    platform_locale: Mapped[str | None] = mapped_column(String(16))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="identities")


class LinkCode(Base):
    """A one-time code that links the first platform account to use it to a person."""

    __tablename__ = "link_code"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class Client(Base):
    """A client company (客户档案); confidential to its owner's chain and org admins."""

    __tablename__ = "client"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    class_key: Mapped[str] = mapped_column(String(8))
    region: Mapped[str] = mapped_column(String(16), default="local")
    owner_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Where the client is (org file `location = [lat, lon]`): check-ins show their distance.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[Person] = relationship(lazy="joined")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Contact.id"
    )


class Contact(Base):
    __tablename__ = "contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")

    client: Mapped[Client] = relationship(back_populates="contacts")
