"""Run every benchmark and print its figures (`make bench`)."""

from __future__ import annotations

from bench import answer, importer, resolver


def main() -> None:
    resolvers()
    answers()
    imports()


def resolvers() -> None:
    print("Resolver, 5,000 commodities x 3 names, p95 per query:")
    r = resolver.run()
    print(
        f"  resolver {r['resolver'] * 1e3:.2f} ms, raw extractOne {r['extractOne'] * 1e3:.2f} ms, "
        f"difflib {r['difflib'] * 1e3:.1f} ms"
    )
    print(f"  resolver / extractOne = {r['resolver/extractOne']:.2f} (target <= 1.3)")
    print(f"  resolver / difflib    = {r['resolver/difflib']:.3f} (target <= 0.1)")
    print(
        f"  one-typo queries: {r['right']:.0%} answered with their entry, "
        f"{r['wrong']:.0%} with another one, the rest asked or not found"
    )


def answers() -> None:
    print("Question to reply text on 1,000,000 price observations (SQLite), p95:")
    r = answer.run()
    print(f"  built in {r['build_seconds']:.0f} s")
    print(
        f"  full answer {r['answer'] * 1e3:.2f} ms, reference (resolve + one indexed query, raw) "
        f"{r['reference'] * 1e3:.2f} ms"
    )
    print(f"  answer / reference = {r['ratio']:.2f} (target <= 3)")
    print(f"  memory growth over the run: {r['rss_growth_mb']:.1f} MB")


def imports() -> None:
    print(
        "CSV import of 1,000,000 rows (SQLite), against raw sqlite3 executemany of the same rows:"
    )
    r = importer.run()
    print(
        f"  import {r['import_rows_per_s']:,.0f} rows/s ({r['import_seconds']:.0f} s, both passes), "
        f"raw {r['raw_rows_per_s']:,.0f} rows/s ({r['raw_seconds']:.0f} s)"
    )
    print(f"  import / raw = {r['ratio']:.2f} (target >= 0.5)")
    print(
        f"  peak memory growth during the import: {r['rss_growth_mb']:.0f} MB "
        f"for a {r['file_mb']:.0f} MB file"
    )


if __name__ == "__main__":
    main()
