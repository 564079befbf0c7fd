"""ID numbers (GB 11643) and field encryption."""

from datetime import date

import pytest

from backend.identity import IdNumberError, age_on, make_mainland_id, parse_mainland_id
from backend.security.crypto import DecryptionError, FieldCipher
from backend.settings import Settings


def test_a_valid_number_gives_birth_date_and_gender():
    parsed = parse_mainland_id("330381200901011231")
    assert parsed.birth_date == date(2009, 1, 1)
    assert parsed.gender == "male"
    assert parsed.area_code == "330381"
    female = make_mainland_id("330381", date(2010, 5, 6), 124)
    assert parse_mainland_id(female).gender == "female"


def test_lowercase_x_is_accepted_as_x():
    # Find a synthetic number whose check character is X.
    number = next(
        candidate
        for sequence in range(1, 999)
        if (candidate := make_mainland_id("330381", date(2011, 3, 4), sequence)).endswith("X")
    )
    assert parse_mainland_id(number.lower()).number == number


@pytest.mark.parametrize(
    ("raw", "problem_type"),
    [
        ("330381090101123", "id_number.legacy"),
        ("33038120090101123", "id_number.format"),
        ("3303812009010112A1", "id_number.format"),
        ("330381200902301234", "id_number.birth_date"),
        ("330381209901011239", "id_number.birth_date"),
        ("330381200901011232", "id_number.checksum"),
    ],
)
def test_bad_numbers_name_the_rule_they_break(raw, problem_type):
    with pytest.raises(IdNumberError) as raised:
        parse_mainland_id(raw, today=date(2026, 11, 22))
    assert raised.value.problem_type == problem_type


def test_age_counts_birthdays():
    assert age_on(date(2009, 1, 1), date(2026, 12, 31)) == 17
    assert age_on(date(2009, 1, 1), date(2027, 1, 1)) == 18


def _cipher(tmp_path, **overrides):
    return FieldCipher.from_settings(Settings(keys_file=tmp_path / "keys.json", **overrides))


def test_encryption_round_trips_and_binds_its_context(tmp_path):
    cipher = _cipher(tmp_path)
    token = cipher.encrypt("13812345678", context="minor.phone")
    assert "13812345678" not in token
    assert cipher.decrypt(token, context="minor.phone") == "13812345678"
    assert cipher.encrypt("13812345678", context="minor.phone") != token  # fresh nonce every time
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context="guardian.phone")
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(DecryptionError):
        cipher.decrypt(tampered, context="minor.phone")


def test_old_ciphertexts_stay_readable_after_a_key_rotation(tmp_path):
    old = _cipher(tmp_path)
    token = old.encrypt("secret", context="x")
    rotated = _cipher(
        tmp_path,
        encryption_key_id="k-new",
        encryption_key="A" * 43 + "=",
        previous_encryption_keys={
            old.current_key_id: __import__("base64").urlsafe_b64encode(old.keys[old.current_key_id]).decode()
        },
    )
    assert rotated.decrypt(token, context="x") == "secret"
    assert rotated.key_id_of(rotated.encrypt("secret", context="x")) == "k-new"


def test_lookup_hash_is_keyed_and_stable(tmp_path):
    cipher = _cipher(tmp_path)
    first = cipher.lookup_hash("330381200901011231", context="id_number")
    assert first == cipher.lookup_hash("330381200901011231", context="id_number")
    other = _cipher(tmp_path, lookup_key="a-different-lookup-key-entirely-000000")
    assert other.lookup_hash("330381200901011231", context="id_number") != first
