#!/usr/bin/env bash
#
# Dependency audit: every pinned version in constraints.txt checked against the known
# vulnerability advisories with pip-audit.
#
# Passes when no dependency has an advisory, or each one is accepted with a reason in
# security/pip-audit-ignore.txt (an advisory with a fixed release must be fixed by
# upgrading, so it cannot be accepted). Fails on any other finding, on a dependency that
# could not be audited while others could (strict), and on a malformed ignore file.
#
# One case exits 0 without an audit: when pip-audit's vulnerability service cannot be
# reached at all (a closed network). It is detected precisely — every single dependency
# skipped as unknown to the service, or a connection error before any answer — and
# announced loudly, so nobody mistakes it for a clean result.

set -euo pipefail
cd "$(dirname "$0")/.."

PIP_AUDIT="${PIP_AUDIT:-.venv/bin/pip-audit}"
PYTHON="${PYTHON:-.venv/bin/python}"
REQUIREMENTS="${AUDIT_REQUIREMENTS:-constraints.txt}"
IGNORE_FILE="${AUDIT_IGNORE_FILE:-security/pip-audit-ignore.txt}"

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

# constraints.txt pins every package exactly, so no resolution is needed (--no-deps).
set +e
"$PIP_AUDIT" --requirement "$REQUIREMENTS" --no-deps --progress-spinner off \
  --format json --output "$workdir/report.json" 2>"$workdir/stderr.txt"
status=$?
set -e

exec "$PYTHON" - "$status" "$workdir/report.json" "$workdir/stderr.txt" "$IGNORE_FILE" <<'PY'
import json
import re
import sys
from pathlib import Path

status, report_path, stderr_path, ignore_path = sys.argv[1:5]
stderr = Path(stderr_path).read_text(errors="replace")

NOT_PERFORMED = "dependency audit NOT performed: vulnerability service unreachable"
# What pip-audit says when its service answers "unknown package" (its JSON API is not
# there) or cannot be reached at all.
UNKNOWN = "Dependency not found on PyPI and could not be audited"
CONNECTION = re.compile(
    r"ConnectionError|NameResolutionError|Max retries exceeded|Connection refused"
    r"|Network is unreachable|Read timed out|ConnectTimeout"
)


def loud_skip(reason: str) -> None:
    bar = "!" * 78
    print(f"{bar}\n!!! {NOT_PERFORMED}\n!!! {reason}\n{bar}")
    sys.exit(0)


def fail(message: str) -> None:
    print(f"dependency audit FAILED: {message}")
    sys.exit(1)


# --- The accepted advisories ---------------------------------------------------------------
accepted = {}
for number, line in enumerate(Path(ignore_path).read_text().splitlines(), start=1):
    text = line.strip()
    if not text or text.startswith("#"):
        continue
    advisory, _, reason = text.partition(" ")
    if not re.fullmatch(r"(PYSEC|GHSA|CVE|OSV)-[\w-]+", advisory) or not reason.strip():
        fail(f"{ignore_path}:{number}: expected '<advisory id> <reason>', got {text!r}")
    accepted[advisory] = reason.strip()

# --- The report ----------------------------------------------------------------------------
try:
    report = json.loads(Path(report_path).read_text())
except (OSError, ValueError):
    report = None

if report is None:
    if CONNECTION.search(stderr):
        loud_skip("pip-audit could not connect to its vulnerability service.")
    sys.stderr.write(stderr)
    fail(f"pip-audit exited with status {status} and wrote no report (its output is above).")

dependencies = report.get("dependencies", [])
skipped = [d for d in dependencies if d.get("skip_reason")]
if dependencies and len(skipped) == len(dependencies):
    if all(UNKNOWN in d["skip_reason"] for d in skipped):
        loud_skip(
            f"the service knew none of the {len(dependencies)} pinned packages "
            "(its package API is not reachable from this network)."
        )
findings, upgrade_instead, used = [], [], set()
for dependency in dependencies:
    for vuln in dependency.get("vulns", []):
        ids = {vuln["id"], *vuln.get("aliases", [])}
        match = ids & accepted.keys()
        label = f"{dependency['name']} {dependency['version']}: {vuln['id']}"
        if vuln.get("fix_versions"):
            label += f" (fixed in {', '.join(vuln['fix_versions'])})"
        if match and vuln.get("fix_versions"):
            upgrade_instead.append(label)
        elif match:
            used |= match
            print(f"accepted: {label} — {accepted[sorted(match)[0]]}")
        else:
            findings.append(label)

problems = []
if findings:
    problems.append(f"{len(findings)} advisories: " + "; ".join(findings))
if upgrade_instead:
    problems.append(
        "a fixed release exists, upgrade instead of accepting: " + "; ".join(upgrade_instead)
    )
if skipped:
    names = ", ".join(f"{d['name']} ({d['skip_reason']})" for d in skipped)
    problems.append(
        f"{len(skipped)} of {len(dependencies)} dependencies could not be audited: {names}"
    )
if problems:
    fail("\n  ".join(["", *problems]))
for advisory in sorted(accepted.keys() - used):
    print(f"note: {advisory} in {ignore_path} no longer matches a finding; remove the line.")
print(f"dependency audit passed: {len(dependencies)} pinned packages, no open advisory.")
PY
