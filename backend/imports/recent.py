"""The rows of a recent check, kept in memory so that committing the file just checked does not read and check it
again (issue 19: about a third of a 50,000-row commit was the second check).

What a row's check finds depends on the file's bytes, the form and the day only (``checking.check_rows``: no
registry, no settings), so the same file checked for the same person on the same day gives the same rows; what
needs the registry (duplicates there, the managing unit, the daily limit on answers about other units) is done
again at every upload. An entry is kept in the memory of the API process that made the check, never written
anywhere, for ``KEEP_SECONDS`` at most, and is taken out when a commit uses it; a commit that reaches another
process, or comes later, checks the file again as before. At most ``MAX_KEPT_ROWS`` rows are kept in all (about
35 MB for a 50,000-row file): the oldest entries go first."""

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date

from backend.imports.checking import CheckedRow
from backend.imports.forms import Column
from backend.imports.models import ImportKind
from backend.imports.reading import MAX_ROWS
from backend.messages import Text

KEEP_SECONDS = 15 * 60
MAX_KEPT_ROWS = MAX_ROWS


@dataclass(frozen=True)
class Key:
    """Whose check of which file: the file's SHA-256, the form, the person (kind, id and unit) and the day."""

    file_hash: str
    kind: ImportKind
    principal_kind: str
    principal_id: uuid.UUID | None
    unit_id: uuid.UUID | None
    today: date


@dataclass(frozen=True)
class Checked:
    """A file read and checked row by row (``checking.check_rows``, repeats across chunks marked)."""

    sheet_name: str | None
    columns: list[Column]
    notes: list[Text]
    rows: list[CheckedRow]


_kept: OrderedDict[Key, tuple[float, Checked]] = OrderedDict()


def _copy(rows: list[CheckedRow]) -> list[CheckedRow]:
    """Rows the caller may change (the registry's checks add problems and mark duplicates) without changing the
    kept ones: a row's values and problems are new lists and dicts, their items shared (never changed)."""
    return [replace(row, values=dict(row.values), problems=list(row.problems)) for row in rows]


def _forget_expired(now: float) -> None:
    for key, (kept_at, _checked) in list(_kept.items()):
        if now - kept_at > KEEP_SECONDS:
            del _kept[key]


def keep(key: Key, checked: Checked, *, now: float | None = None) -> None:
    """Keep a copy of ``checked`` for a later upload of the same file by the same person today. (``now``, a
    ``time.monotonic()`` reading, is for tests.)"""
    if len(checked.rows) > MAX_KEPT_ROWS:
        return
    now = time.monotonic() if now is None else now
    _forget_expired(now)
    _kept.pop(key, None)
    while _kept and sum(len(entry.rows) for _at, entry in _kept.values()) + len(checked.rows) > MAX_KEPT_ROWS:
        _kept.popitem(last=False)
    _kept[key] = (now, replace(checked, rows=_copy(checked.rows)))


def take(key: Key, *, now: float | None = None) -> Checked | None:
    """The kept check of this file for this person today (taken out: it serves one upload), or None."""
    _forget_expired(time.monotonic() if now is None else now)
    found = _kept.pop(key, None)
    if found is None:
        return None
    return replace(found[1], rows=_copy(found[1].rows))


def forget_all() -> None:
    """Drop every kept check (tests)."""
    _kept.clear()
