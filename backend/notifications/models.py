"""A person's notifications (站内通知) and the address their daily digest is mailed to."""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, new_id, utcnow


class Notification(SQLModel, table=True):
    """One message for one person: an event (a file assigned, a transfer asked of the unit) or the daily digest.
    Its text never names a minor in full (a masked name at most) and never carries an ID number: the link opens
    the record, read as usual in the reader's scope. ``(user_id, kind, dedupe_key)`` is unique, so an event
    recorded twice or a reminder run twice on one day leaves one notification."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "dedupe_key"),
        # A person's list, newest first (the unread count reads the same rows).
        sa.Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", nullable=False)
    kind: str = Field(sa_type=sa.String(40), nullable=False)
    title: str = Field(sa_type=sa.String(200), nullable=False)
    body: str = Field(sa_type=sa.Text, nullable=False)
    link: str = Field(sa_type=sa.String(300), nullable=False)
    dedupe_key: str = Field(sa_type=sa.String(100), nullable=False)
    digest_day: date | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationAddress(SQLModel, table=True):
    """Where a person's daily digest is mailed (when the server has an SMTP relay). Set by the person."""

    __tablename__ = "notification_addresses"

    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True)
    email: str = Field(sa_type=sa.String(254), nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
