"""Every message the API can show a person has its Chinese text in the one catalogue (backend/messages.py).

The scan reads backend/ as source (AST): each string passed as the message of an error class, of
``permissions.ensure``, of ``ValidationFailed.field``, of a field problem, of a validator's refusal, or as a
``Text`` template, and each error class's ``title``. A message formatted before it reaches the catalogue (an
f-string, ``%`` or ``.format``) cannot be translated and fails too: it must be a ``Text`` with named values.
"""

import ast
import functools
import string
from dataclasses import dataclass
from pathlib import Path

from backend.errors import _STATUS_SLUGS
from backend.messages import CATALOGUE

BACKEND = Path(__file__).resolve().parent.parent / "backend"

# Callables whose argument at this position (or keyword) is a message shown to a person.
MESSAGE_ARGUMENTS: dict[str, tuple[int, str]] = {
    "ensure": (1, "detail"),
    "field": (1, "msg"),
    "Text": (0, "template"),
    "InvalidValue": (0, "text"),
    "IdNumberError": (0, "message"),
    "WeakPasswordError": (0, "message"),
    "PydanticCustomError": (1, "message_template"),
    "FieldProblem": (-1, "msg"),
    "FieldError": (1, "msg"),
    "problem_response": (-1, "detail"),
    "HTTPException": (1, "detail"),
    "RefreshRefused": (0, "reason"),
}
# Modules whose ValueErrors are validators' refusals shown to the person who filled the form.
VALIDATOR_MODULES = ("schemas.py", "terms.py")


@dataclass(frozen=True)
class Site:
    where: str
    message: str | None  # None: formatted at the call site, so it cannot be looked up


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in sorted(BACKEND.rglob("*.py"))]


def _error_classes(modules: list[tuple[Path, ast.Module]]) -> set[str]:
    """ProblemError and every class deriving from it, by name, across backend/."""
    bases: dict[str, set[str]] = {}
    for _path, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                }
    found = {"ProblemError"}
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            if name not in found and parents & found:
                found.add(name)
                changed = True
    return found


def _constants(modules: list[tuple[Path, ast.Module]]) -> dict[str, str]:
    """Module-level ``NAME = "text"``: messages kept in a constant (BAD_CREDENTIALS)."""
    constants: dict[str, str] = {}
    for _path, tree in modules:
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                constants[node.targets[0].id] = node.value.value
    return constants


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if 0 <= position < len(call.args):
        return call.args[position]
    return None


def _is_formatted(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    )


def _messages_of(node: ast.expr, constants: dict[str, str]) -> list[str | None]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr) and not _is_formatted(node):
        return ["".join(part.value for part in node.values if isinstance(part, ast.Constant))]
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    if isinstance(node, ast.IfExp):
        return _messages_of(node.body, constants) + _messages_of(node.orelse, constants)
    if _is_formatted(node):
        return [None]
    return []  # a variable passed through (its literal is found where it was written) or a Text(...)


@functools.cache
def message_sites() -> list[Site]:
    modules = _modules()
    errors = _error_classes(modules)
    constants = _constants(modules)
    targets = dict(MESSAGE_ARGUMENTS)
    targets.update(dict.fromkeys(errors, (0, "detail")))
    # Functions that hand one of their parameters on as a message (``_limit_reached(what)``) are targets too.
    changed = True
    while changed:
        changed = False
        for _path, tree in modules:
            for function in ast.walk(tree):
                if (
                    not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
                    or function.name in targets
                ):
                    continue
                params = [arg.arg for arg in function.args.args + function.args.kwonlyargs]
                for call in ast.walk(function):
                    if not isinstance(call, ast.Call) or _callee(call) not in targets:
                        continue
                    position, keyword = targets[_callee(call)]
                    argument = _argument(call, position, keyword)
                    # Only a parameter handed on as it is: one inside a Text's values is rendered there.
                    names = {argument.id} if isinstance(argument, ast.Name) else set()
                    passed = [p for p in params if p in names and p not in ("self", "cls")]
                    if passed and function.name not in ("__init__", "field"):
                        index = params.index(passed[0]) - (
                            1 if params and params[0] in ("self", "cls") else 0
                        )
                        positional = index if passed[0] in [a.arg for a in function.args.args] else -1
                        targets[function.name] = (positional, passed[0])
                        changed = True
                        break
    sites: list[Site] = []
    for path, tree in modules:
        relative = path.relative_to(BACKEND.parent)
        validator_module = path.name in VALIDATOR_MODULES
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in errors:
                for statement in node.body:
                    if isinstance(statement, ast.Assign):
                        for target in statement.targets:
                            names = target.elts if isinstance(target, ast.Tuple) else [target]
                            for index, name in enumerate(names):
                                if isinstance(name, ast.Name) and name.id == "title":
                                    value = statement.value
                                    value = value.elts[index] if isinstance(value, ast.Tuple) else value
                                    for message in _messages_of(value, constants):
                                        sites.append(Site(f"{relative}:{statement.lineno}", message))
            if not isinstance(node, ast.Call):
                continue
            callee = _callee(node)
            argument = None
            if callee in targets:
                argument = _argument(node, *targets[callee])
            elif callee == "ValueError" and validator_module:
                argument = _argument(node, 0, "")
            if argument is not None:
                for message in _messages_of(argument, constants):
                    sites.append(Site(f"{relative}:{node.lineno}", message))
    return sites


def test_the_scan_finds_the_messages_it_is_meant_to() -> None:
    # Spot checks that the scan reads each kind of site: a plain detail, permissions.ensure, a field error,
    # a constant, a title, a validator, pydantic's custom error and a wrapper's argument.
    found = {site.message for site in message_sites()}
    for message in (
        "No such minor.",
        "Only the station's social workers and leads hand minors over.",
        "the unit is deactivated",
        "Wrong username or password.",
        "Authentication required",
        "at least one scope is required",
        "must not be in the future",
        "check digit does not match",
        "This needs the scope {scope}.",
    ):
        assert message in found, message


def test_every_message_has_its_chinese_text() -> None:
    sites = message_sites()
    formatted = [site.where for site in sites if site.message is None]
    assert not formatted, f"formatted before the catalogue (use Text with named values): {formatted}"
    missing = sorted({f"{site.where}: {site.message!r}" for site in sites if site.message not in CATALOGUE})
    assert not missing, "no Chinese text in backend/messages.py for:\n" + "\n".join(missing)


def test_each_chinese_text_takes_the_values_its_english_names() -> None:
    def fields(template: str) -> set[str]:
        return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}

    differing = {en: zh for en, zh in CATALOGUE.items() if fields(en) != fields(zh)}
    assert not differing
    # A text with words has Chinese in it ("{path}: {msg}" has none to translate).
    worded = {
        en: zh
        for en, zh in CATALOGUE.items()
        if any(text.strip(" :;.") for text, *_ in string.Formatter().parse(en))
    }
    untranslated = [en for en, zh in worded.items() if not any("\u4e00" <= ch <= "\u9fff" for ch in zh)]
    assert not untranslated
    # The titles of statuses the handlers answer themselves (405, 500, ...) too.
    assert not [title for _slug, title in _STATUS_SLUGS.values() if title not in CATALOGUE]


def test_a_message_formatted_at_its_raise_site_is_caught() -> None:
    # What the scan reports for each way of writing a message: a literal and a Text template are looked up, a
    # formatted string cannot be (None), a variable is checked where its literal was written (nothing here).
    def messages(source: str) -> list[str | None]:
        return _messages_of(ast.parse(source, mode="eval").body, {"BAD": "Wrong username or password."})

    assert messages('"No such minor."') == ["No such minor."]
    assert messages("BAD") == ["Wrong username or password."]
    assert messages('f"This needs the scope {scope}."') == [None]
    assert messages('"This needs the scope %s." % scope') == [None]
    assert messages('"This needs the scope {}.".format(scope)') == [None]
    assert messages("detail") == []
