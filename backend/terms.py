"""School terms (学期), defined once: ``2026-fall`` is 2026年秋季学期, ``2027-spring`` is 2027年春季学期.

A school year (学年) runs from the autumn term to the spring term after it: ``2026-fall`` and ``2027-spring``
make up the 2026–2027 school year. The autumn term is September to January, the spring term February to August
(summer belongs to the spring term, so that every day lies in exactly one term).
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

from backend.db import local_today
from backend.messages import InvalidValue, Text

_PATTERN = re.compile(r"^(\d{4})-(fall|spring)$")
TERM_PATTERN = _PATTERN.pattern
FIRST_YEAR, LAST_YEAR = 2000, 2099


@dataclass(frozen=True)
class Term:
    year: int
    season: str  # "spring" (first in a calendar year) or "fall"

    @classmethod
    def parse(cls, code: str) -> "Term":
        """``2026-fall`` → Term(2026, "fall"); anything else is a ValueError naming the expected form."""
        match = _PATTERN.match(code)
        if match is None:
            raise ValueError("a term is written like 2026-fall or 2027-spring")
        year = int(match.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidValue(
                Text("a term's year lies between {first} and {last}", first=FIRST_YEAR, last=LAST_YEAR)
            )
        return cls(year, match.group(2))

    @classmethod
    def containing(cls, day: date) -> "Term":
        if day.month >= 9:
            return cls(day.year, "fall")
        if day.month == 1:
            return cls(day.year - 1, "fall")
        return cls(day.year, "spring")

    @classmethod
    def current(cls) -> "Term":
        return cls.containing(local_today())

    @property
    def code(self) -> str:
        return f"{self.year}-{self.season}"

    @property
    def label(self) -> str:
        return f"{self.year}年{'秋季' if self.season == 'fall' else '春季'}学期"

    @property
    def school_year(self) -> str:
        """``2026-2027`` for both 2026-fall and 2027-spring."""
        start = self.year if self.season == "fall" else self.year - 1
        return f"{start}-{start + 1}"

    @property
    def terms_of_school_year_so_far(self) -> tuple["Term", ...]:
        """The terms of this term's school year up to and including it (for the yearly lesson-hour target)."""
        if self.season == "fall":
            return (self,)
        return (Term(self.year - 1, "fall"), self)

    @property
    def _order(self) -> tuple[int, int]:
        # In a calendar year the spring term comes first.
        return (self.year, 0 if self.season == "spring" else 1)

    def __lt__(self, other: "Term") -> bool:
        return self._order < other._order

    def __gt__(self, other: "Term") -> bool:
        return self._order > other._order

    def previous(self) -> "Term":
        return Term(self.year - 1, "fall") if self.season == "spring" else Term(self.year, "spring")

    @property
    def first_day(self) -> date:
        return date(self.year, 9, 1) if self.season == "fall" else date(self.year, 2, 1)


def _check(code: str) -> str:
    return Term.parse(code).code


# The type of every ``term`` field and parameter of the API.
TermCode = Annotated[
    str,
    Field(
        pattern=TERM_PATTERN, examples=["2026-fall"], description="A school term: `2026-fall`, `2027-spring`"
    ),
    AfterValidator(_check),
]
