"""`make audit`: known vulnerabilities in what Qinghu installs — pip-audit over the Python environment, npm audit
over the web app's runtime packages (what is shipped to browsers) — less the findings accepted in
`audit-allowlist.toml`, each with its reason and an expiry date.

Exit 1 on any finding that is not accepted, on an accepted one past its date, or (with --strict) when a
vulnerability service cannot be reached. Without --strict an unreachable service is reported loudly and the
audit of that ecosystem is marked as not done: CI keeps running where the advisory endpoints are blocked.
"""

import argparse
import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWLIST = ROOT / "audit-allowlist.toml"
NPM_FAILING_SEVERITIES = {"moderate", "high", "critical"}


@dataclass(frozen=True)
class Finding:
    ecosystem: str
    package: str
    version: str
    ids: frozenset[str]
    summary: str

    def __str__(self) -> str:
        return (
            f"{self.ecosystem}: {self.package} {self.version}: {', '.join(sorted(self.ids))} {self.summary}"
        )


class Unreachable(Exception):
    """The vulnerability service could not be asked."""


def pip_findings() -> list[Finding]:
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--local",
            "--skip-editable",
            "--format",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return pip_report_findings(finished.stdout, finished.stderr)


def pip_report_findings(stdout: str, stderr: str = "") -> list[Finding]:
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        raise Unreachable((stderr.strip().splitlines() or ["pip-audit gave no report"])[-1]) from None
    dependencies = report.get("dependencies", [])
    audited = [dependency for dependency in dependencies if "skip_reason" not in dependency]
    if dependencies and not audited:
        raise Unreachable(f"no package could be audited ({dependencies[0]['skip_reason']})")
    return [
        Finding(
            "python",
            dependency["name"],
            dependency["version"],
            frozenset([vuln["id"], *vuln.get("aliases", [])]),
            f"(fixed in {', '.join(vuln.get('fix_versions', [])) or 'no release yet'})",
        )
        for dependency in audited
        for vuln in dependency.get("vulns", [])
    ]


def npm_findings() -> list[Finding]:
    finished = subprocess.run(
        ["npm", "audit", "--omit=dev", "--json"],  # noqa: S607 - npm from PATH, as make install uses it
        cwd=ROOT / "frontend",
        capture_output=True,
        text=True,
        check=False,
    )
    return npm_report_findings(finished.stdout)


def npm_report_findings(stdout: str) -> list[Finding]:
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        raise Unreachable("npm audit gave no report") from None
    if "vulnerabilities" not in report:
        raise Unreachable(report.get("message") or report.get("error", {}).get("summary") or "no report")
    findings = []
    for name, entry in report["vulnerabilities"].items():
        for via in entry.get("via", []):
            # A package is listed for its own advisories (objects) and for those of what it depends on (names).
            if isinstance(via, dict) and via.get("severity") in NPM_FAILING_SEVERITIES:
                advisory = via.get("url", "").rsplit("/", 1)[-1]
                findings.append(
                    Finding(
                        "npm",
                        name,
                        entry.get("range", ""),
                        frozenset([advisory]),
                        f"({via['severity']}: {via.get('title', '')})",
                    )
                )
    return findings


def accepted(today: date) -> tuple[dict[str, dict[str, str]], list[str]]:
    entries = tomllib.loads(ALLOWLIST.read_text()).get("accepted", [])
    expired = [
        f"{entry['id']} ({entry['package']}) was accepted until {entry['until']}"
        for entry in entries
        if entry["until"] < today
    ]
    return {entry["id"]: entry for entry in entries}, expired


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--strict", action="store_true", help="fail when a vulnerability service cannot be reached"
    )
    arguments = parser.parse_args()
    allowed, expired = accepted(date.today())
    failures = [f"allow-list entry expired: {line}" for line in expired]
    for ecosystem, collect in (("python (pip-audit)", pip_findings), ("npm (npm audit)", npm_findings)):
        try:
            findings = collect()
        except Unreachable as exc:
            message = f"{ecosystem}: NOT AUDITED, the vulnerability service could not be reached: {exc}"
            if arguments.strict:
                failures.append(message)
            else:
                print("WARNING " + message)
            continue
        unaccepted = [finding for finding in findings if not finding.ids & allowed.keys()]
        for finding in findings:
            if finding not in unaccepted:
                print(f"accepted {finding}")
        failures += [f"vulnerable {finding}" for finding in unaccepted]
        print(f"{ecosystem}: audited, {len(findings)} findings, {len(unaccepted)} not accepted")
    for failure in failures:
        print("FAIL " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
