"""The registry's keys: look-up hashes of ID numbers, and re-encryption when keys rotate (``qinghu rotate-keys``)."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.minors.models import (
    IdDocumentType,
    Minor,
)
from backend.security.crypto import FieldCipher, cipher_of


def number_hash(cipher: FieldCipher, document_type: str, number: str) -> str:
    return cipher.lookup_hash(number, context=f"id_number:{document_type}")


def mainland_lookup_hash(cipher: FieldCipher, number: str) -> str:
    """The keyed hash a (normalised) mainland ID number is found by."""
    return number_hash(cipher, IdDocumentType.mainland_id, number)


async def reencrypt_all(session: AsyncSession, *, batch: int = 500) -> int:
    """Re-encrypt every number and phone still under an older key, and recompute look-up hashes with the
    current look-up key. Returns how many records changed. Run by ``qinghu rotate-keys``."""
    cipher = cipher_of(session)
    changed, last_id = 0, None
    while True:
        statement = sa.select(Minor).order_by(Minor.id).limit(batch)
        if last_id is not None:
            statement = statement.where(Minor.id > last_id)
        minors = (await session.scalars(statement)).all()
        if not minors:
            return changed
        for minor in minors:
            number = cipher.decrypt(minor.id_number_ciphertext, context="minor.id_number")
            if cipher.key_id_of(minor.id_number_ciphertext) != cipher.current_key_id:
                minor.id_number_ciphertext = cipher.encrypt(number, context="minor.id_number")
            minor.id_number_hash = number_hash(cipher, minor.id_document_type, number)
            if minor.phone_ciphertext and cipher.key_id_of(minor.phone_ciphertext) != cipher.current_key_id:
                phone = cipher.decrypt(minor.phone_ciphertext, context="minor.phone")
                minor.phone_ciphertext = cipher.encrypt(phone, context="minor.phone")
            stale = [
                entry
                for entry in minor.guardians
                if entry.get("phone_ciphertext")
                and cipher.key_id_of(entry["phone_ciphertext"]) != cipher.current_key_id
            ]
            if stale:
                minor.guardians = [
                    {
                        **entry,
                        "phone_ciphertext": cipher.encrypt(
                            cipher.decrypt(entry["phone_ciphertext"], context="guardian.phone"),
                            context="guardian.phone",
                        ),
                    }
                    if entry in stale
                    else entry
                    for entry in minor.guardians
                ]
            if session.is_modified(minor):
                changed += 1
            last_id = minor.id
        await session.flush()
        session.expunge_all()
