"""`jangmadang import` and `jangmadang export` run as a user would, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "config" / "sample" / "prices.csv"
WFP_FILE = ROOT / "tests" / "support" / "data" / "wfp_hdx_prices.csv"
HEADER = "date,market,commodity,unit,currency,price,source"


def run(args, tmp_path, *, database="cli"):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path}/{database}.sqlite3",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.entrypoints.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_import_reports_counts_and_is_idempotent(tmp_path):
    first = run(["import", str(SAMPLE), "--user", "9001"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "317 rows: 317 added, 0 duplicates skipped" in first.stdout
    assert "new series" in first.stdout
    again = run(["import", str(SAMPLE)], tmp_path)
    assert again.returncode == 0
    assert "317 rows: 0 added, 317 duplicates skipped, 0 new series." in again.stdout
    wfp = run(["import", str(WFP_FILE)], tmp_path)
    assert "6 rows: 6 added, 0 duplicates skipped, 6 new series." in wfp.stdout


def test_a_rejected_file_lists_its_bad_lines_and_exits_1(tmp_path):
    rows = [
        "2024-05-01,hyesan,rice,kg,KPW,8000,Daily NK",
        "2024-05-01,hyesan,rice,kg,KPW,-3,Daily NK",
        "2024-05-01,atlantis,rice,kg,KPW,8000,Daily NK",
        *["2024-05-01,hyesan,rice,kg,XYZ,8000,Daily NK"] * 210,
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    result = run(["import", str(bad)], tmp_path)
    assert result.returncode == 1
    assert "Nothing imported: 212 bad rows." in result.stderr
    assert "line 3: The price “-3” is not a number." in result.stderr
    assert "line 4: Unknown market “atlantis”" in result.stderr
    assert "line 202: “XYZ” is not a currency" in result.stderr
    assert "line 203:" not in result.stderr and "... and 12 more" in result.stderr
    export = run(["export"], tmp_path)
    assert export.stdout.count("\n") == 1  # the header alone: nothing was written


def test_import_of_a_missing_file_exits_2(tmp_path):
    result = run(["import", str(tmp_path / "nope.csv")], tmp_path)
    assert result.returncode == 2 and "no such file" in result.stderr


def test_a_file_that_is_not_utf8_is_rejected(tmp_path):
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(
        f"{HEADER}\n2024-05-01,hyesan,rice,kg,KPW,8000,혜산 소식통\n".encode("cp949")
    )
    result = run(["import", str(legacy)], tmp_path)
    assert result.returncode == 1
    assert "line 2: the file is not UTF-8 text (save it as CSV UTF-8)" in result.stderr


def test_export_round_trips_through_import(tmp_path):
    assert run(["import", str(SAMPLE)], tmp_path).returncode == 0
    out = run(["export"], tmp_path)
    assert out.returncode == 0 and "Exported 317 rows." in out.stderr
    assert out.stdout.startswith("date,admin1,admin2,market,latitude,longitude,category,")
    written = run(["export", "--output", "all.csv"], tmp_path)
    assert written.returncode == 0 and "Exported 317 rows to all.csv." in written.stdout
    assert (tmp_path / "all.csv").read_text(encoding="utf-8") == out.stdout
    assert sorted(p.name for p in tmp_path.glob("*.csv*")) == ["all.csv"]
    fresh = run(["import", "all.csv"], tmp_path, database="fresh")
    assert "317 rows: 317 added" in fresh.stdout
    again = run(["export"], tmp_path, database="fresh")
    assert again.stdout == out.stdout


def test_export_filters_by_exact_names_and_dates(tmp_path):
    assert run(["import", str(SAMPLE)], tmp_path).returncode == 0
    result = run(["export", "--commodity", "Lingzhi", "--market", "ryanggang"], tmp_path)
    lines = result.stdout.splitlines()
    assert len(lines) > 1 and all(",lingzhi," in line for line in lines[1:])
    dated = run(
        ["export", "--commodity", "rice", "--since", "2024-01", "--until", "2024"], tmp_path
    )
    dated_lines = dated.stdout.splitlines()[1:]
    assert dated_lines and all(line.startswith("2024") for line in dated_lines)
    unknown = run(["export", "--commodity", "ricee"], tmp_path)
    assert unknown.returncode == 2 and "Unknown commodity “ricee”. Closest: rice." in unknown.stderr
    bad_date = run(["export", "--since", "May 2024"], tmp_path)
    assert bad_date.returncode == 2 and "is not a date" in bad_date.stderr
