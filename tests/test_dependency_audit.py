"""scripts/audit_dependencies.sh: findings fail, justified ones pass, and only a service
that cannot be reached at all is reported as "not performed" (exit 0, loudly).

pip-audit itself is replaced by a stand-in that prints a prepared report, so these tests
need no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "audit_dependencies.sh"
NOT_PERFORMED = "dependency audit NOT performed: vulnerability service unreachable"
UNKNOWN = "Dependency not found on PyPI and could not be audited: {} (1.0)"


def audited(name, *vulns):
    return {"name": name, "version": "1.0", "vulns": list(vulns)}


def skipped(name, reason=None):
    return {"name": name, "skip_reason": reason or UNKNOWN.format(name)}


def vuln(ident, *, fixed=(), aliases=()):
    return {"id": ident, "fix_versions": list(fixed), "aliases": list(aliases), "description": ""}


def run(tmp_path, *, report=None, stderr="", status=0, ignore="") -> subprocess.CompletedProcess:
    """Run the script with a stand-in pip-audit that writes ``report`` (or nothing)."""
    fake = tmp_path / "pip-audit"
    payload = json.dumps(report) if report is not None else ""
    fake.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "args = sys.argv[1:]\n"
        f"payload = {payload!r}\n"
        "if payload:\n"
        "    open(args[args.index('--output') + 1], 'w').write(payload)\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({status})\n"
    )
    fake.chmod(0o755)
    ignore_file = tmp_path / "ignore.txt"
    ignore_file.write_text(ignore)
    env = {
        **os.environ,
        "PIP_AUDIT": str(fake),
        "PYTHON": sys.executable,
        "AUDIT_IGNORE_FILE": str(ignore_file),
    }
    return subprocess.run(  # noqa: S603 - our own script with fixed arguments
        ["bash", str(SCRIPT)], capture_output=True, text=True, env=env, check=False
    )


def test_a_clean_report_passes(tmp_path):
    result = run(tmp_path, report={"dependencies": [audited("django"), audited("openpyxl")]})
    assert result.returncode == 0, result.stdout
    assert "dependency audit passed: 2 pinned packages" in result.stdout
    assert NOT_PERFORMED not in result.stdout


def test_a_finding_fails_and_names_the_package_and_the_fix(tmp_path):
    report = {"dependencies": [audited("django", vuln("PYSEC-2099-1", fixed=["5.2.99"]))]}
    result = run(tmp_path, report=report, status=1)
    assert result.returncode == 1
    assert "django 1.0: PYSEC-2099-1 (fixed in 5.2.99)" in result.stdout


def test_an_accepted_advisory_without_a_fix_passes_with_its_reason(tmp_path):
    report = {"dependencies": [audited("lxml", vuln("GHSA-aaaa-bbbb-cccc", aliases=["CVE-1"]))]}
    ignore = "# comment\nCVE-1  only reachable through an XML parser Pathscore never calls\n"
    result = run(tmp_path, report=report, status=1, ignore=ignore)
    assert result.returncode == 0, result.stdout
    assert "accepted: lxml 1.0: GHSA-aaaa-bbbb-cccc — only reachable" in result.stdout


def test_an_advisory_with_a_fixed_release_cannot_be_accepted(tmp_path):
    report = {"dependencies": [audited("django", vuln("PYSEC-2099-2", fixed=["5.2.99"]))]}
    result = run(tmp_path, report=report, status=1, ignore="PYSEC-2099-2 not relevant\n")
    assert result.returncode == 1
    assert "upgrade instead of accepting" in result.stdout


@pytest.mark.parametrize("line", ["PYSEC-2099-3", "not-an-id because reasons"])
def test_an_ignore_line_needs_an_advisory_id_and_a_reason(tmp_path, line):
    result = run(tmp_path, report={"dependencies": [audited("django")]}, ignore=line + "\n")
    assert result.returncode == 1
    assert "expected '<advisory id> <reason>'" in result.stdout


def test_every_package_unknown_to_the_service_is_not_performed_loudly(tmp_path):
    report = {"dependencies": [skipped("django"), skipped("openpyxl")]}
    result = run(tmp_path, report=report)
    assert result.returncode == 0
    assert NOT_PERFORMED in result.stdout


def test_a_connection_error_before_any_answer_is_not_performed_loudly(tmp_path):
    stderr = "requests.exceptions.ConnectionError: Max retries exceeded with url: /v1/query\n"
    result = run(tmp_path, stderr=stderr, status=1)
    assert result.returncode == 0
    assert NOT_PERFORMED in result.stdout


def test_one_package_not_audited_while_others_were_fails(tmp_path):
    report = {"dependencies": [audited("django"), skipped("internal-tool")]}
    result = run(tmp_path, report=report)
    assert result.returncode == 1
    assert "1 of 2 dependencies could not be audited: internal-tool" in result.stdout


def test_a_finding_is_never_hidden_by_skips(tmp_path):
    report = {"dependencies": [audited("django", vuln("PYSEC-2099-4")), skipped("openpyxl")]}
    result = run(tmp_path, report=report, status=1)
    assert result.returncode == 1
    assert "1 advisories: django 1.0: PYSEC-2099-4" in result.stdout
    assert "could not be audited: openpyxl" in result.stdout
    assert NOT_PERFORMED not in result.stdout


def test_any_other_crash_fails_and_shows_what_pip_audit_said(tmp_path):
    result = run(tmp_path, stderr="ValueError: bad requirement line 3\n", status=2)
    assert result.returncode == 1
    assert "bad requirement line 3" in result.stderr
