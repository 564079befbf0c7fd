"""The reach of each kind of principal, on the unit tree itself (the HTTP tests show the same per endpoint)."""

import uuid

import pytest
import sqlalchemy as sa

from backend.security.principals import (
    MinorScope,
    Principal,
    minor_scope,
    minor_scope_template,
    parent_path,
    served_path,
    subtree_range,
)
from backend.security.roles import Role

COUNTY, TOWNSHIP, SCHOOL = "/0a/", "/0a/1b/", "/0a/1b/2c/"
SCHOOL_ID = uuid.UUID("00000000-0000-0000-0000-00000000000c")


def principal(role: Role | None, path: str, kind: str, unit_id: uuid.UUID = SCHOOL_ID) -> Principal:
    return Principal(
        kind="user" if role else "client",
        id=uuid.uuid4(),
        name="someone",
        display_name="某人",
        role=role,
        unit_id=unit_id,
        unit_path=path,
        unit_kind=kind,
        scopes=frozenset(),
    )


@pytest.mark.parametrize(
    ("role", "path", "kind", "expected"),
    [
        (Role.caseworker, TOWNSHIP, "township", MinorScope(path=TOWNSHIP)),
        (Role.supervisor, COUNTY, "county_office", MinorScope(path=COUNTY)),
        (Role.admin, COUNTY, "county_office", MinorScope(path=COUNTY)),
        (Role.auditor, COUNTY, "county_office", MinorScope(path=COUNTY)),
        (Role.police, "/0a/1b/3d/", "police_station", MinorScope(path=TOWNSHIP)),  # the township it serves
        (Role.school_staff, SCHOOL, "school", MinorScope(school_id=SCHOOL_ID)),  # its own pupils only
        (Role.education, "/0a/4e/", "department", MinorScope()),  # no individual minor at all
        (None, TOWNSHIP, "township", MinorScope()),  # machine clients read no minors
    ],
)
def test_each_role_reaches_the_minors_written_here(role, path, kind, expected):
    scope = minor_scope(principal(role, path, kind))
    assert scope == expected
    assert scope.kind == {MinorScope(): "none"}.get(expected, "school" if expected.school_id else "subtree")


def test_a_scope_that_reaches_none_matches_nothing_and_needs_no_values():
    nothing = MinorScope()
    assert nothing.parameters() == {}
    column = sa.column("path")
    assert str(nothing.condition(column, sa.column("school_id"))) == str(sa.false())
    assert str(minor_scope_template("none", column, sa.column("school_id"))) == str(sa.false())
    assert MinorScope(school_id=SCHOOL_ID).parameters() == {"scope_school": SCHOOL_ID}
    assert MinorScope(path=TOWNSHIP).parameters() == {"scope_low": "/0a/1b/", "scope_high": "/0a/1b0"}


def test_paths_and_the_units_they_serve():
    assert subtree_range(TOWNSHIP) == ("/0a/1b/", "/0a/1b0")
    assert parent_path(SCHOOL) == TOWNSHIP
    assert parent_path(COUNTY) == "/"
    assert served_path("/0a/4e/", "department") == COUNTY
    assert served_path(TOWNSHIP, "township") == TOWNSHIP
