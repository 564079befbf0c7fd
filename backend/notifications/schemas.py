import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class NotificationRead(BaseModel):
    id: uuid.UUID
    kind: str = Field(
        description="care_file.assigned, transfer.requested or digest (the daily reminder)",
        examples=["care_file.assigned"],
    )
    title: str = Field(description="Chinese", examples=["您被指派为帮教档案的主责社工"])
    body: str = Field(description="Chinese; a minor is named by a masked name only, never an ID number")
    link: str = Field(description="The web app's page that opens the record", examples=["/care-files/…"])
    digest_day: date | None = Field(description="The day a digest is for; null for events")
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int = Field(ge=0)


class ReadAll(BaseModel):
    marked: int = Field(ge=0, description="How many were unread and are now read")


class DigestAddress(BaseModel):
    email: str | None = Field(
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Where the daily digest is mailed when the server has an SMTP relay; null: in the app only",
    )
