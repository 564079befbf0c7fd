"""Codes with their Chinese and English labels, defined once and served at ``GET /api/v1/reference``.

Each domain declares its enums as ``LabelledEnum`` subclasses decorated with ``@reference("name")``; that
registers them, so models, validation and the web app all read the same codes and labels.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import Self, TypeVar

_REGISTRY: dict[str, type["LabelledEnum"]] = {}


class LabelledEnum(StrEnum):
    """A StrEnum whose members are declared as ``code = ("code", "中文", "English")``."""

    zh: str
    en: str

    def __new__(cls, code: str, zh: str = "", en: str = "") -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.zh = zh
        member.en = en
        return member


E = TypeVar("E", bound=type[LabelledEnum])


def reference(name: str) -> Callable[[E], E]:
    """Class decorator: publish a LabelledEnum under ``name`` in the reference data."""

    def register(enum_class: E) -> E:
        assert _REGISTRY.get(name, enum_class) is enum_class, f"two enums named {name}"
        _REGISTRY[name] = enum_class
        return enum_class

    return register


def registered_enums() -> dict[str, type[LabelledEnum]]:
    return dict(sorted(_REGISTRY.items()))
