"""The zh-hans catalogue is complete and compiled; English needs no translation.

A new user-facing string without a Chinese translation fails here: the test extracts the
strings from a copy of the current source with Django's makemessages, merges them into
the committed catalogue, and counts what is untranslated or fuzzy.
"""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pathscore"
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")

pytestmark = pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="gettext is not installed (make test installs it)"
)


def statistics(po: Path) -> dict[str, int]:
    result = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    counts = {"translated": 0, "untranslated": 0, "fuzzy": 0}
    for number, kind in re.findall(r"(\d+) (translated|untranslated|fuzzy)", result.stderr):
        counts[kind] = int(number)
    return counts


def untranslated_ids(po: Path) -> list[str]:
    result = subprocess.run(
        ["msgattrib", "--untranslated", "--no-wrap", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    return re.findall(r'^msgid "(.+)"$', result.stdout, flags=re.M)[:20]


def test_committed_catalogue_is_complete():
    counts = statistics(CATALOGUE)
    assert counts["translated"] > 100
    assert counts["untranslated"] == 0, untranslated_ids(CATALOGUE)
    assert counts["fuzzy"] == 0


def test_every_string_in_the_source_is_in_the_catalogue(tmp_path):
    copy = tmp_path / "pathscore"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("vendor", "__pycache__", "*.mo"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--no-location",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "", "PATH": "/usr/bin:/bin"},
    )
    merged = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    counts = statistics(merged)
    assert counts["untranslated"] == 0, (
        "Strings without a zh-hans translation (run `make messages` and translate them): "
        f"{untranslated_ids(merged)}"
    )
    assert counts["fuzzy"] == 0


def test_compiled_catalogue_matches_the_source(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(CATALOGUE)], check=True)
    with COMPILED.open("rb") as handle:
        committed = gettext.GNUTranslations(handle)
    with fresh.open("rb") as handle:
        expected = gettext.GNUTranslations(handle)
    assert committed._catalog == expected._catalog, "run `make messages` to recompile"
