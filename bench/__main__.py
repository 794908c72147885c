"""Run the benchmarks and print their figures (`make bench`).

`python -m bench` runs the default set (resolver, entry, answer, conditions, import, startup); `python -m bench NAME` runs
one, including the slower ones left out of the default set (broadcast, compose, fuzz, webhook). `--help` lists them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any

from bench import answer, conditions, entry, importer, resolver

DEFAULT = ("resolver", "entry", "answer", "conditions", "import", "startup")


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.benchmark is None:
        resolvers()
        entries()
        answers()
        conditions_answers()
        imports()
        startup()
    elif args.benchmark == "resolver":
        resolvers()
    elif args.benchmark == "entry":
        entries()
    elif args.benchmark == "answer":
        answers()
    elif args.benchmark == "conditions":
        conditions_answers(reports=args.reports, rounds=args.rounds)
    elif args.benchmark == "import":
        imports()
    elif args.benchmark == "startup":
        startup()
    elif args.benchmark == "broadcast":
        broadcast(
            subscribers=args.subscribers,
            budget=args.budget,
            emulator_rate=args.emulator_rate,
            filters=args.filters,
        )
    elif args.benchmark == "compose":
        compose(filters=args.filters, subscribers=args.subscribers, profile=args.profile)
    elif args.benchmark == "intake":
        from bench import intake as bench_intake

        bench_intake.main()
    elif args.benchmark == "charts":
        from bench import charts as bench_charts

        bench_charts.main()
    elif args.benchmark == "feeds":
        from bench import feeds as bench_feeds

        bench_feeds.main(args.rows, args.rounds, profile=args.profile)
    elif args.benchmark == "webhook":
        from bench import webhook as bench_webhook

        bench_webhook.main(
            chats=args.chats,
            per_chat=args.questions,
            latency_ms=args.latency_ms,
            database_url=args.database_url,
        )
    elif args.benchmark == "emulator":
        from bench import emulator as bench_emulator

        bench_emulator.main()
    elif args.benchmark == "fuzz":
        from bench import fuzz as bench_fuzz

        bench_fuzz.main(
            messages=args.messages,
            taps=args.taps,
            queries=args.inline,
            files=args.files,
            seed=args.seed,
            max_stuck=args.max_stuck,
        )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks that print ratios against references measured in the same run. "
        f"Without a name: {', '.join(DEFAULT)}.",
    )
    names = p.add_subparsers(dest="benchmark", metavar="NAME")
    names.add_parser("resolver", help="resolver against raw rapidfuzz and difflib (default set)")
    names.add_parser("entry", help="long /addprice lines against a short one (default set)")
    names.add_parser("answer", help="question to reply text on 1,000,000 figures (default set)")
    k = names.add_parser(
        "conditions", help="trade-condition answers on 100,000 reports (default set)"
    )
    k.add_argument("--reports", type=int, default=100_000, help="trade reports (100,000)")
    k.add_argument("--rounds", type=int, default=200, help="samples per question and path (200)")
    names.add_parser("import", help="CSV import of 1,000,000 rows (default set)")
    names.add_parser(
        "startup",
        help="`jangmadang ask` from a standing start against the bare imports (default set)",
    )
    b = names.add_parser(
        "broadcast",
        help="digest broadcast through the real bot and the emulator (slow: ~7 min by default)",
    )
    b.add_argument("--subscribers", type=int, default=10_000, help="private chats (10,000)")
    b.add_argument("--budget", type=float, default=25.0, help="send_budget, messages/s (25)")
    b.add_argument(
        "--emulator-rate",
        type=float,
        default=None,
        help="emulator overall flood limit/s (30, Telegram's; 1.2x the budget above 25)",
    )
    b.add_argument("--filters", type=int, default=50, help="distinct filter sets (50)")
    c = names.add_parser("compose", help="enqueue_due for 1,000 vs 100,000 subscribers (slow)")
    c.add_argument("--filters", type=int, default=1_000, help="distinct filter sets (1,000)")
    c.add_argument(
        "--subscribers", type=int, default=100_000, help="subscribers sharing them (100,000)"
    )
    c.add_argument("--profile", action="store_true", help="cProfile the large run, print the top")
    names.add_parser(
        "intake",
        help="article intake: figure precision and recall on the labelled passages, per language",
    )
    names.add_parser(
        "charts",
        help="answers while 40 users ask for charts: the bot (`jangmadang run`) against the "
        "emulator; drawn, uploaded and sent by file_id (slow: ~2 min)",
    )
    fd = names.add_parser(
        "feeds",
        help="a 200,000-row WFP file through its feed against the plain import, the checks after "
        "it, and the resolver on ten countries' WFP markets (~1.5 min)",
    )
    fd.add_argument("--rows", type=int, default=200_000, help="rows of the WFP file (200,000)")
    fd.add_argument("--rounds", type=int, default=3, help="rounds of both imports (3)")
    fd.add_argument(
        "--profile", action="store_true", help="cProfile one feed check and one plain import"
    )
    w = names.add_parser(
        "webhook",
        help="replies/s of two webhook replicas (`jangmadang run`) against one, behind the "
        "round-robin proxy, on PostgreSQL, against the emulator (~1.5 min)",
    )
    w.add_argument("--chats", type=int, default=500, help="private chats asking (500)")
    w.add_argument(
        "--questions",
        type=int,
        default=2,
        help="questions per chat (2; above 2 the bot's pacing of a chat, a message a second "
        "after a burst of two, bounds the round)",
    )
    w.add_argument(
        "--latency-ms", type=int, default=50, help="emulator latency per Bot API call (50)"
    )
    w.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="PostgreSQL database the phases' schemas are made in (TEST_DATABASE_URL, else "
        "postgres@127.0.0.1:5432/test)",
    )
    names.add_parser(
        "emulator", help="emulator: bulk chats, concurrent sends, latency, lookups, long poll"
    )
    f = names.add_parser(
        "fuzz",
        help="hostile messages, taps, inline queries and CSV files through the real bot and the "
        "emulator: counts and failing inputs (slow: ~8 min by default)",
    )
    f.add_argument("--messages", type=int, default=10_000, help="texts and commands (10,000)")
    f.add_argument("--taps", type=int, default=1_000, help="forged button taps (1,000)")
    f.add_argument("--inline", type=int, default=1_000, help="inline queries (1,000)")
    f.add_argument("--files", type=int, default=200, help="CSV files (200)")
    f.add_argument("--seed", type=int, default=0, help="hypothesis seed (0)")
    f.add_argument(
        "--max-stuck",
        type=int,
        default=3,
        help="stop after this many inputs the bot never finishes (30 s each) (3)",
    )
    return p


def resolvers() -> dict[str, Any]:
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
    return r


def entries() -> dict[str, Any]:
    print("One-line /addprice entry on the real catalogue, median per line:")
    r = entry.run()
    for name in entry.LINES:
        print(
            f"  {name:9} ({r['chars'][name]:,} characters): {r['median'][name] * 1e3:.2f} ms "
            f"= {r['ratio'][name]:.1f}x the short line"
        )
    return r


def answers() -> dict[str, Any]:
    print("Question to reply text on 1,000,000 price observations (SQLite), p95:")
    r = answer.run()
    print(f"  built in {r['build_seconds']:.0f} s")
    print(
        f"  full answer {r['answer'] * 1e3:.2f} ms, reference (resolve + one indexed query, raw) "
        f"{r['reference'] * 1e3:.2f} ms"
    )
    print(f"  answer / reference = {r['ratio']:.2f} (target <= 3)")
    print(f"  memory growth over the run: {r['rss_growth_mb']:.1f} MB")
    print("The same on PostgreSQL, against the same query on a raw psycopg connection, p95:")
    pg = answer.run_postgres()
    if "skipped" in pg:
        print(f"  skipped: {pg['skipped']}")
        return r
    print(f"  built in {pg['build_seconds']:.0f} s (COPY, then ANALYZE)")
    print(
        f"  full answer {pg['answer'] * 1e3:.2f} ms, reference (resolve + one indexed query, raw "
        f"psycopg, prepared) {pg['reference'] * 1e3:.2f} ms"
    )
    print(f"  answer / reference = {pg['ratio']:.2f} (target <= 3)")
    print(f"  memory growth over the run: {pg['rss_growth_mb']:.1f} MB")
    print(
        f"  without the {pg['first_questions']} first questions of a user (which write the "
        f"user's row): full answer {pg['answer_known'] * 1e3:.2f} ms = {pg['ratio_known']:.2f}x"
    )
    print(f"  statements of one answer (known user): {len(pg['statements'])}")
    return {**r, "postgresql": pg}


def conditions_answers(*, reports: int = 100_000, rounds: int = 200) -> dict[str, Any]:
    print(
        f"Trade-condition question to reply text on {reports:,} reports (SQLite), against the "
        "reports query the answer runs, replayed through the bot's engine and raw (sqlite3); "
        "p50 / p95 in ms:"
    )
    r = conditions.run(reports, rounds)
    print(f"  built in {r['build_seconds']:.0f} s; {r['samples']} samples per question and path")

    def ms(f: dict[str, Any], key: str) -> str:
        return f"{f[key + '_p50'] * 1e3:6.2f} / {f[key + '_p95'] * 1e3:6.2f}"

    rows = [*r["questions"].items(), ("every question", r["overall"])]
    width = max(conditions.width(q) for q, _ in rows)
    print(
        f"  {conditions.pad('', width)}  {'answer':15}  {'query (engine)':15}  "
        f"{'query (raw)':15}  {'read+raw query':15}  p95 ratios engine, raw"
    )
    for q, f in rows:
        print(
            f"  {conditions.pad(q, width)}  {ms(f, 'answer')}  {ms(f, 'engine')}  "
            f"{ms(f, 'reference')}  {ms(f, 'read_reference')}  "
            f"{f['engine_ratio']:5.1f} {f['ratio']:5.1f}"
        )
    o = r["overall"]
    print(
        f"  answer / query through the engine = {o['engine_ratio']:.2f} (p95 over every "
        f"question; target <= {conditions.TARGET:g}): {'met' if r['met'] else 'missed'}"
    )
    print(f"  answer / raw sqlite3 query = {o['ratio']:.2f}")
    print(
        f"  a question read the first time (nothing remembered of its words): "
        f"{o['cold_p50'] * 1e3:.2f} / {o['cold_p95'] * 1e3:.2f} ms = {o['cold_ratio']:.2f}x the "
        "query through the engine"
    )
    reading = (o["read_reference_p50"] - o["reference_p50"]) * 1e3
    print(
        f"  answer / (read the question + reference) = {o['read_ratio']:.2f}; reading the "
        f"question takes about {reading:.2f} ms (p50s of read+reference less reference)"
    )
    print("  query plans:")
    for q, f in r["questions"].items():
        print(f"    {conditions.pad(q, width)}  {f['plan']}")
    return r


def imports() -> dict[str, Any]:
    print(
        "CSV import of 1,000,000 rows (SQLite), against raw sqlite3 executemany of the same rows:"
    )
    r = importer.run()
    _import_figures(r, target=0.8)
    print(
        "CSV import of 1,000,000 rows (PostgreSQL), against one raw psycopg COPY of the same rows "
        "into the same table:"
    )
    pg = importer.run_postgres()
    if "skipped" in pg:
        print(f"  skipped: {pg['skipped']}")
    else:
        _import_figures(pg, target=0.5)
    return {"sqlite": r, "postgresql": pg}


def _import_figures(r: dict[str, Any], *, target: float) -> None:
    print(
        f"  import {r['import_rows_per_s']:,.0f} rows/s ({r['import_seconds']:.0f} s, both passes), "
        f"raw {r['raw_rows_per_s']:,.0f} rows/s ({r['raw_seconds']:.0f} s)"
    )
    print(f"  import / raw = {r['ratio']:.2f} (target >= {target:g})")
    print(
        f"  peak memory growth during the import: {r['rss_growth_mb']:.0f} MB "
        f"for a {r['file_mb']:.0f} MB file"
    )


def startup() -> dict[str, Any]:
    from bench import startup as bench_startup

    return bench_startup.main()


def broadcast(
    *, subscribers: int, budget: float, emulator_rate: float | None, filters: int
) -> dict[str, Any]:
    from bench import broadcast as bench_broadcast

    rate = emulator_rate or bench_broadcast.emulator_rate_for(budget)
    low, high = bench_broadcast.LATENCY_MS
    print(
        f"Digest broadcast to {subscribers:,} private chats ({filters} filter sets, SQLite), "
        f"send_budget {budget:g}/s; emulator {rate:g}/s overall, 1/s per chat, "
        f"{low}-{high} ms latency:"
    )
    r = bench_broadcast.run(subscribers, budget, emulator_rate=rate, filters=filters)
    s = r["statuses"]
    print(
        f"  sustained {r['sustained']:.1f} digest sends/s over {r['digest_messages']:,} messages "
        f"= {r['ratio']:.2f}x the budget (target >= 0.9)"
    )
    print(
        f"  429 answers: {r['sends_429']:,} of {r['sends']:,} sends = {r['share_429']:.2%} "
        f"(target <= 1 %); other refusals {r['sends_failed']:,}; sender flood waits "
        f"{r['sender']['flood_waits']}, retried {r['sender']['retried']}"
    )
    print(
        f"  ledger: {s.get('sent', 0):,} sent of {sum(s.values()):,} rows "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(s.items()))}); "
        f"{r['chats_reached']:,} chats reached, messages per chat at most "
        f"{r['messages_per_chat_max']}, repeated texts {r['repeats']}"
    )
    print(
        f"  first digest {r['first_send_after']:.1f} s after due, last {r['send_seconds']:.0f} s "
        f"later; {r['ticks_skipped']} ticks skipped while one was still queueing"
    )
    print(
        f"  question to first reply, p95 of {r['questions']}: idle {r['idle_p95'] * 1e3:.0f} ms, "
        f"during the broadcast {r['during_p95'] * 1e3:.0f} ms = {r['latency_ratio']:.2f}x "
        f"(target <= 2.0; medians {r['idle_median'] * 1e3:.0f} / "
        f"{r['during_median'] * 1e3:.0f} ms; {r['asked_during']} of {r['questions']} asked "
        f"while digests went out)"
    )
    return r


def compose(*, filters: int, subscribers: int, profile: bool) -> dict[str, Any]:
    from bench import compose as bench_compose

    print(
        f"Queueing due digests (enqueue_due, SQLite), {filters:,} distinct filter sets, "
        f"(a) one subscriber each against (b) {subscribers:,} subscribers sharing them:"
    )
    r = bench_compose.run(filters, subscribers, profile=profile)
    for name in ("a", "b"):
        c = r[name]
        print(
            f"  ({name}) {c['subscribers']:>7,} subscribers: {c['seconds']:.1f} s "
            f"(compose {c['compose_seconds']:.1f} s, the rest {c['rest_seconds']:.1f} s), "
            f"{c['ledger_rows']:,} ledger rows, {c['composed']:,} bodies composed"
        )
    print(
        f"  b / a = {r['ratio']:.2f} (target <= 2.0); compose b / a = {r['compose_ratio']:.2f}; "
        f"{r['per_subscriber_ms']:.3f} ms per extra subscriber"
    )
    if profile:
        print(r["b"]["profile"])
    return r


if __name__ == "__main__":
    main()
