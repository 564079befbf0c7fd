"""`make audit` (.ci/audit.py): findings read from pip-audit's and npm audit's reports, accepted ones dropped,
an unreachable service told apart from a clean audit."""

import importlib.util
import json
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("audit_tool", Path(__file__).parent.parent / ".ci" / "audit.py")
assert spec
assert spec.loader
audit_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_tool)


def test_pip_audit_findings_with_their_aliases():
    report = {
        "dependencies": [
            {
                "name": "jinja2",
                "version": "3.1.2",
                "vulns": [
                    {
                        "id": "PYSEC-2024-1",
                        "aliases": ["CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"],
                        "fix_versions": ["3.1.3"],
                    }
                ],
            },
            {"name": "orjson", "version": "3.10.0", "vulns": []},
            {"name": "qinghu", "skip_reason": "editable"},
        ]
    }
    (finding,) = audit_tool.pip_report_findings(json.dumps(report))
    assert finding.package == "jinja2"
    assert finding.ids == {"PYSEC-2024-1", "CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"}
    assert str(finding) == (
        "python: jinja2 3.1.2: CVE-2024-22195, GHSA-h5c8-rqwp-cp95, PYSEC-2024-1 (fixed in 3.1.3)"
    )


def test_a_pip_audit_that_audited_nothing_is_unreachable_not_clean():
    report = {"dependencies": [{"name": "aiosqlite", "skip_reason": "Dependency not found on PyPI"}]}
    with pytest.raises(audit_tool.Unreachable, match="no package could be audited"):
        audit_tool.pip_report_findings(json.dumps(report))


def test_npm_audit_findings_of_moderate_or_worse_runtime_advisories():
    report = {
        "vulnerabilities": {
            "vue": {
                "range": "<3.4.0",
                "via": [
                    {
                        "title": "XSS in a template",
                        "url": "https://github.com/advisories/GHSA-aaaa-bbbb-cccc",
                        "severity": "high",
                    }
                ],
            },
            "element-plus": {"range": "*", "via": ["vue"]},
            "tiny": {
                "range": "<1",
                "via": [{"title": "x", "url": "https://github.com/advisories/GHSA-low", "severity": "low"}],
            },
        }
    }
    (finding,) = audit_tool.npm_report_findings(json.dumps(report))
    assert finding.ids == {"GHSA-aaaa-bbbb-cccc"}
    assert str(finding) == "npm: vue <3.4.0: GHSA-aaaa-bbbb-cccc (high: XSS in a template)"


def test_an_npm_registry_without_the_audit_endpoint_is_unreachable():
    report = {
        "message": "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk"
    }
    with pytest.raises(audit_tool.Unreachable, match="405 Method Not Allowed"):
        audit_tool.npm_report_findings(json.dumps(report))


def test_the_allow_list_is_valid_and_none_has_expired():
    from datetime import date

    entries, expired = audit_tool.accepted(date.today())
    assert expired == []
    for entry in entries.values():
        assert {"id", "package", "reason", "accepted_by", "until"} <= set(entry)
