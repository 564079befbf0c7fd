"""The principal of a request (a person or a machine client) and the unit scope it reaches."""

import uuid
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import col

from backend.security.roles import ROLE_SCOPES, Role, Scope


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "client"
    id: uuid.UUID
    name: str  # username or client id
    display_name: str
    role: Role | None  # people only
    unit_id: uuid.UUID
    unit_path: str
    unit_kind: str
    scopes: frozenset[Scope]
    session_id: uuid.UUID | None = None
    must_change_password: bool = False

    @property
    def is_user(self) -> bool:
        return self.kind == "user"

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes

    @classmethod
    def of_user(cls, user: Any, *, unit_path: str, unit_kind: str, **extra: Any) -> "Principal":
        """A person (a ``User`` row) acting from their unit, with their role's scopes."""
        role = Role(user.role)
        return cls(
            kind="user",
            id=user.id,
            name=user.username,
            display_name=user.display_name,
            role=role,
            unit_id=user.unit_id,
            unit_path=unit_path,
            unit_kind=unit_kind,
            scopes=ROLE_SCOPES[role],
            **extra,
        )

    @classmethod
    def of_client(
        cls, client: Any, *, unit_path: str, unit_kind: str, scopes: frozenset[Scope]
    ) -> "Principal":
        """A machine client (an ``ApiClient`` row) with the scopes its token carries."""
        return cls(
            kind="client",
            id=client.id,
            name=client.client_id,
            display_name=client.name,
            role=None,
            unit_id=client.unit_id,
            unit_path=unit_path,
            unit_kind=unit_kind,
            scopes=scopes,
        )


def subtree_range(path: str) -> tuple[str, str]:
    """Bounds of every materialised path at or below ``path`` (``/id/id/``): one indexed range scan.

    Paths hold only hex digits and ``/``; ``0`` is the character after ``/``, so the upper bound is the path
    with its final ``/`` replaced by ``0``.
    """
    return path, path[:-1] + "0"


def in_subtree(path_column: Any, path: str) -> sa.ColumnElement[bool]:
    low, high = subtree_range(path)
    return sa.and_(path_column >= low, path_column < high)


def path_in_subtree(path: str | None, root: str) -> bool:
    """``in_subtree`` in Python, for rows already read: the path lies at or below ``root``."""
    low, high = subtree_range(root)
    return path is not None and low <= path < high


def subtrees_holding(path: str) -> list[str]:
    """The paths whose subtree holds ``path`` (``in_subtree(path, root)`` for each): the path itself and those
    of the units above it, ``/a/b/`` → ``["/a/", "/a/b/"]``. For counts grouped by unit and added up into every
    scope that reaches them."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: depth + 1]) + "/" for depth in range(len(parts))]


def in_subtree_template(path_column: Any, name: str) -> sa.ColumnElement[bool]:
    """``in_subtree`` with the path left as required parameters named after ``name``
    (``subtree_parameters``): for a statement built once and run for many paths."""
    return sa.and_(
        path_column >= sa.bindparam(f"{name}_low", required=True),
        path_column < sa.bindparam(f"{name}_high", required=True),
    )


def subtree_parameters(name: str, path: str) -> dict[str, str]:
    low, high = subtree_range(path)
    return {f"{name}_low": low, f"{name}_high": high}


def parent_path(path: str) -> str:
    """``/a/b/c/`` → ``/a/b/``: the unit above (a police station's township)."""
    return path[: path.rstrip("/").rfind("/") + 1] or path


def within_scope(principal: Principal, path_column: Any) -> sa.ColumnElement[bool]:
    """The one scoping condition: rows whose unit path lies in the principal's subtree.

    Every query on a unit-owned table starts from this, so out-of-scope rows never exist for the caller.
    """
    return in_subtree(path_column, principal.unit_path)


@dataclass(frozen=True)
class MinorScope:
    """The minors a principal reaches: those managed in the subtree at ``path``, a school's own pupils
    (``school_id``), or none."""

    path: str | None = None
    school_id: uuid.UUID | None = None

    @property
    def kind(self) -> str:
        return "subtree" if self.path else "school" if self.school_id else "none"

    def condition(self, managing_path_column: Any, school_id_column: Any) -> sa.ColumnElement[bool]:
        if self.path:
            return in_subtree(managing_path_column, self.path)
        if self.school_id:
            return col(school_id_column) == self.school_id
        return sa.false()

    def rollup_key(self) -> tuple[str, str] | None:
        """``condition`` for counts already grouped by the minors' managing unit and school and added up into
        ``("subtree", path)`` for each path of ``subtrees_holding`` and ``("school", id)``: the key holding this
        scope's count, None for no minor at all."""
        if self.path:
            return ("subtree", self.path)
        if self.school_id:
            return ("school", str(self.school_id))
        return None

    def parameters(self) -> dict[str, Any]:
        """Its values under the names ``minor_scope_template`` gives them."""
        if self.path:
            return subtree_parameters("scope", self.path)
        return {"scope_school": self.school_id} if self.school_id else {}


def minor_scope(principal: Principal) -> MinorScope:
    """The scope of minors: managed in the principal's subtree; a school's own pupils for school staff; the
    township a police station serves for police. Everyone else reaches none."""
    if principal.role is Role.school_staff:
        return MinorScope(school_id=principal.unit_id)
    if principal.role is Role.police:
        return MinorScope(path=parent_path(principal.unit_path))
    if principal.role in (Role.caseworker, Role.supervisor, Role.admin, Role.auditor):
        return MinorScope(path=principal.unit_path)
    return MinorScope()


def within_minor_scope(
    principal: Principal, managing_path_column: Any, school_id_column: Any
) -> sa.ColumnElement[bool]:
    """Rows of minors in the principal's scope (``minor_scope``)."""
    return minor_scope(principal).condition(managing_path_column, school_id_column)


def minor_scope_template(
    kind: str, managing_path_column: Any, school_id_column: Any
) -> sa.ColumnElement[bool]:
    """The same condition for any scope of this ``kind``, its values left as required parameters
    (``MinorScope.parameters``): for a statement built once and run for every principal."""
    if kind == "subtree":
        return in_subtree_template(managing_path_column, "scope")
    if kind == "school":
        return col(school_id_column) == sa.bindparam("scope_school", required=True)
    return sa.false()


def seizure_scope_side(principal: Principal) -> Literal["reporting", "receiving"] | None:
    """Which unit of a seizure notice must lie in the principal's subtree: a police station (its officers and
    its system) reaches what it reported; stations and the county office reach what was routed to their subtree;
    nobody else reaches any."""
    if principal.kind == "client" or principal.role is Role.police:
        return "reporting"
    if principal.role in (Role.caseworker, Role.supervisor):
        return "receiving"
    return None


def within_seizure_scope(
    principal: Principal, reporting_path_column: Any, receiving_path_column: Any
) -> sa.ColumnElement[bool]:
    """The scope of seizure notices (``seizure_scope_side``)."""
    side = seizure_scope_side(principal)
    if side == "reporting":
        return within_scope(principal, reporting_path_column)
    if side == "receiving":
        return within_scope(principal, receiving_path_column)
    return sa.false()


def served_path(unit_path: str, unit_kind: str) -> str:
    """The subtree a unit works for. A department (the education bureau) serves the unit it sits under, as a
    police station serves its township; every other unit serves its own subtree."""
    return parent_path(unit_path) if unit_kind == "department" else unit_path


def statistics_root_path(principal: Principal) -> str:
    """The subtree whose schools a principal's statistics and school metrics cover (school staff: their own
    school, see ``within_school_scope``)."""
    return served_path(principal.unit_path, principal.unit_kind)


def within_school_scope(
    principal: Principal, path_column: Any, unit_id_column: Any
) -> sa.ColumnElement[bool]:
    """The schools (units) a principal reaches for statistics and metrics: school staff their own school,
    everyone else the schools under ``statistics_root_path``."""
    if principal.role is Role.school_staff or principal.unit_kind == "school":
        return col(unit_id_column) == principal.unit_id
    return in_subtree(path_column, statistics_root_path(principal))
