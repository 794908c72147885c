"""`jangmadang import` and `jangmadang export --reports` on trade-report files, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "config" / "sample" / "trade_reports.csv"
PRICES = ROOT / "config" / "sample" / "prices.csv"
HEADER = (
    "place,date,date_precision,topics,direction,channel,border_status,market_activity,"
    "enforcement,commodities,summary,source,source_url,reliability"
)
GOOD = "hyesan,2026-10,month,border,export,truck,restricted,,,rice,{summary},Daily NK,,B2"


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


def test_a_report_file_is_told_by_its_header_and_imported_once(tmp_path):
    first = run(["import", str(SAMPLE), "--user", "9001"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "65 report rows: 65 added, 0 duplicates skipped.\n"
    again = run(["import", str(SAMPLE)], tmp_path)
    assert again.returncode == 0
    assert again.stdout == "65 report rows: 0 added, 65 duplicates skipped.\n"
    prices = run(["import", str(PRICES)], tmp_path)
    assert "317 rows: 317 added, 0 duplicates skipped" in prices.stdout


def test_a_rejected_report_file_lists_its_bad_lines_and_exits_1(tmp_path):
    rows = [
        GOOD.format(summary="One."),
        GOOD.format(summary="Two."),
        GOOD.format(summary="Three.").replace("hyesan", "atlantis"),
        GOOD.format(summary="Four."),
        GOOD.format(summary="Five.").replace("border", "weather"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    result = run(["import", str(bad)], tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Nothing imported: 2 bad rows."
    assert lines[1].startswith("line 4: Unknown place “atlantis”.")
    assert lines[2].startswith("line 6: “weather” is not a topic")
    export = run(["export", "--reports"], tmp_path)
    assert export.returncode == 0 and export.stdout == HEADER + "\n"
    assert "Exported 0 reports." in export.stderr


def test_a_header_without_rows_or_with_unknown_columns_exits_1(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER + "\n", encoding="utf-8")
    result = run(["import", str(empty)], tmp_path)
    assert result.returncode == 1 and "line 2: The file has a header but no rows." in result.stderr
    extra = tmp_path / "extra.csv"
    extra.write_text(f"{HEADER},colour\n{GOOD.format(summary='x')},blue\n", encoding="utf-8")
    result = run(["import", str(extra)], tmp_path)
    assert result.returncode == 1 and "line 1: The header has an unknown column" in result.stderr


def test_export_reports_round_trips_through_import(tmp_path):
    assert run(["import", str(SAMPLE)], tmp_path).returncode == 0
    assert run(["import", str(PRICES)], tmp_path).returncode == 0
    out = run(["export", "--reports"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Exported 65 reports." in out.stderr
    assert out.stdout.startswith(HEADER + "\n")
    written = run(["export", "--reports", "--out", "reports.csv"], tmp_path)
    assert written.returncode == 0 and "Exported 65 reports to reports.csv." in written.stdout
    assert (tmp_path / "reports.csv").read_text(encoding="utf-8") == out.stdout
    fresh = run(["import", "reports.csv"], tmp_path, database="fresh")
    assert fresh.stdout == "65 report rows: 65 added, 0 duplicates skipped.\n"
    assert run(["export", "--reports"], tmp_path, database="fresh").stdout == out.stdout
    back = run(["import", "reports.csv"], tmp_path)
    assert back.stdout == "65 report rows: 0 added, 65 duplicates skipped.\n"
    # The price export is unchanged beside it.
    prices = run(["export", "-o", "prices.csv"], tmp_path)
    assert prices.returncode == 0 and "Exported 317 rows to prices.csv." in prices.stdout
    assert (tmp_path / "prices.csv").read_text(encoding="utf-8").startswith("date,admin1,")


def test_export_reports_filters_by_place_and_date(tmp_path):
    assert run(["import", str(SAMPLE)], tmp_path).returncode == 0
    everything = run(["export", "--reports"], tmp_path).stdout.splitlines()
    hyesan = run(["export", "--reports", "--market", "hyesan"], tmp_path)
    lines = hyesan.stdout.splitlines()
    assert 1 < len(lines) < len(everything)
    assert all(line.startswith("hyesan,") for line in lines[1:])
    dated = run(["export", "--reports", "--since", "2024", "--until", "2024"], tmp_path)
    dated_lines = dated.stdout.splitlines()[1:]
    assert dated.returncode == 0 and len(dated_lines) == 12  # the sample's reports of 2024
    assert all(line.split(",")[1].startswith("2024") for line in dated_lines)
    commodity = run(["export", "--reports", "--commodity", "rice"], tmp_path)
    assert commodity.returncode == 2 and "--commodity does not apply" in commodity.stderr
    unknown = run(["export", "--reports", "--market", "atlantis"], tmp_path)
    assert unknown.returncode == 2 and "Unknown market “atlantis”" in unknown.stderr
