"""Matching many ID numbers against the registry at once (a screening sheet's rows): by the keyed look-up hash,
never by the number. A match managed outside the caller's scope is returned as such and nothing more."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.minors.models import Minor
from backend.minors.service.keys import mainland_lookup_hash
from backend.minors.service.presenting import ManagingUnit
from backend.security.crypto import cipher_of
from backend.security.principals import Principal, within_minor_scope

_CHUNK = 500


@dataclass(frozen=True)
class RegistryMatch:
    in_scope: bool
    managing_unit_id: uuid.UUID
    # Only for a match in scope (what committing would add to); None for one managed elsewhere.
    minor_id: uuid.UUID | None
    risk_categories: tuple[str, ...] = ()
    substances: tuple[str, ...] = ()


def lookup_hashes(session: AsyncSession, numbers: Iterable[str]) -> dict[str, str]:
    """Normalised mainland numbers → their keyed look-up hashes."""
    cipher = cipher_of(session)
    return {number: mainland_lookup_hash(cipher, number) for number in numbers}


async def match_numbers(
    session: AsyncSession, *, principal: Principal, numbers: Iterable[str]
) -> dict[str, RegistryMatch]:
    """Each number already registered → where: in the principal's scope (with the record's id and categories),
    or elsewhere (its managing unit only, for the trail of that unit)."""
    by_hash = {hashed: number for number, hashed in lookup_hashes(session, numbers).items()}
    hashes = list(by_hash)
    matches: dict[str, RegistryMatch] = {}
    in_scope = within_minor_scope(principal, ManagingUnit.path, Minor.school_id).label("in_scope")
    for start in range(0, len(hashes), _CHUNK):
        chunk = hashes[start : start + _CHUNK]
        rows = await session.execute(
            sa.select(
                Minor.id_number_hash,
                Minor.id,
                Minor.managing_unit_id,
                Minor.risk_categories,
                Minor.substances,
                in_scope,
            )
            .join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)
            .where(Minor.id_number_hash.in_(chunk))
        )
        for row in rows:
            number = by_hash[row.id_number_hash]
            if row.in_scope:
                matches[number] = RegistryMatch(
                    True, row.managing_unit_id, row.id, tuple(row.risk_categories), tuple(row.substances)
                )
            else:
                matches[number] = RegistryMatch(False, row.managing_unit_id, None)
    return matches
