"""Optimistic concurrency: mutable resources carry ``version``; reads send it as an ETag, updates may send
``If-Match`` and get 412 when it is stale."""

from typing import Annotated, Protocol, TypeVar

from fastapi import Header, Response

from backend.errors import PreconditionFailed, ValidationFailed
from backend.messages import Text

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag from the last read; a stale one is refused with 412",
        examples=['"3"'],
    ),
]


def etag_of(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_of(version)


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def tagged(response: Response, read: V) -> V:
    """``read`` as the answer, its version sent as the ETag."""
    set_etag(response, read.version)
    return read


def check_if_match(if_match: str | None, current_version: int) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    tags = [tag.strip().removeprefix("W/") for tag in if_match.split(",")]
    if not all(tag.startswith('"') and tag.endswith('"') for tag in tags):
        raise ValidationFailed.field(
            ["header", "If-Match"], 'must be an ETag such as "3"', "if_match.malformed"
        )
    if etag_of(current_version) not in tags:
        raise PreconditionFailed(
            Text(
                "The resource is now at version {version}; reload it and apply the change again.",
                version=current_version,
            ),
            extra={"current_version": current_version},
        )
