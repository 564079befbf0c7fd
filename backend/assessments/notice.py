"""The 通报 draft of a run as a printable page: the units to be named (the failing grade or vetoed) and the units
to be called in (约谈), a Jinja2 template escaped throughout. Results only — no minor is named."""

from jinja2 import Environment, PackageLoader, select_autoescape

from backend.assessments.schemas import RunRead
from backend.db import LOCAL_TIMEZONE

_TEMPLATES = Environment(
    loader=PackageLoader("backend.assessments", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def render_notice(run: RunRead) -> str:
    veto_names = {veto.code: veto.name for veto in run.vetoes}
    named = [
        {
            "name": result.unit.name,
            "total": f"{result.total:g}",
            "grade": result.grade,
            "rank": result.rank,
            "vetoes": "、".join(veto_names.get(veto.veto, veto.veto) for veto in result.vetoes),
        }
        for result in run.results
        if result.named
    ]
    called_in = [
        {"name": result.unit.name, "total": f"{result.total:g}", "rank": result.rank, "grade": result.grade}
        for result in run.results
        if result.called_in
    ]
    return _TEMPLATES.get_template("notice.html").render(
        title=f"关于{run.scheme_name}结果的通报（草稿）",
        issuer=run.issuing_unit.name,
        cut_off=f"{run.cut_off:%Y年%m月%d日}",
        period=f"{run.period_start:%Y年%m月%d日}至{run.period_end:%Y年%m月%d日}",
        assessed=run.assessed,
        passed=run.passed,
        pass_rate=_percent(run.pass_rate),
        target=_percent(run.pass_rate_target),
        target_met=run.target_met,
        named=named,
        called_in=called_in,
        finalised=run.finalised_at is not None,
        printed_on=f"{run.computed_at.astimezone(LOCAL_TIMEZONE):%Y年%m月%d日}",
        partial=not run.sees_all,
    )
