"""Mainland resident ID numbers (GB 11643-1999): structure, check character, derived birth date and gender."""

import re
from dataclasses import dataclass
from datetime import date

from backend.messages import InvalidValue

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class IdNumberError(InvalidValue):
    """The number is not a valid mainland ID; ``problem_type`` names the rule it breaks."""

    def __init__(self, message: str, problem_type: str) -> None:
        super().__init__(message)
        self.problem_type = problem_type


@dataclass(frozen=True)
class MainlandId:
    number: str
    area_code: str
    birth_date: date
    gender: str  # "male" or "female": the sequence's last digit is odd for men, even for women


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 over the first 17 digits."""
    return _CHECK_CHARS[
        sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True)) % 11
    ]


def normalise(raw: str) -> str:
    return raw.strip().replace(" ", "").upper()


def parse_mainland_id(raw: str, *, today: date | None = None) -> MainlandId:
    """Validate an 18-character ID number (lower-case x accepted) and read what it encodes."""
    number = normalise(raw)
    if len(number) == 15:
        raise IdNumberError(
            "15-digit first-generation numbers are not accepted; use the 18-character number",
            "id_number.legacy",
        )
    if not _SHAPE.fullmatch(number):
        raise IdNumberError("must be 17 digits followed by a digit or X", "id_number.format")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdNumberError("the birth date in the number does not exist", "id_number.birth_date") from exc
    if birth > (today or date.today()) or birth.year < 1900:
        raise IdNumberError("the birth date in the number is impossible", "id_number.birth_date")
    if check_character(number[:17]) != number[17]:
        raise IdNumberError("check digit does not match", "id_number.checksum")
    gender = "male" if int(number[16]) % 2 else "female"
    return MainlandId(number=number, area_code=number[:6], birth_date=birth, gender=gender)


def make_mainland_id(area_code: str, birth: date, sequence: int) -> str:
    """A well-formed number (for synthetic people in tests and the demo). Odd sequences are male."""
    first17 = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def shift_years(day: date, years: int) -> date:
    """The same day ``years`` later (earlier if negative); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
