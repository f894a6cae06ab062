"""What `fangkong bench` prints: the goals of issue 5 beside the run's figures, and the table."""

from __future__ import annotations

from typing import Any


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 1) if a is not None and b else None


def goals(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The goals of issue 5 beside what this run measured."""
    out: list[dict[str, Any]] = []

    def goal(name: str, target: str, measured: Any, met: bool | None, host: str = "") -> None:
        out.append({"goal": name, "target": target, "measured": measured, "met": met, "host": host})

    ci = r.get("checkins")
    if ci:
        goal(
            "POST /checkins vs bare-insert ceiling",
            ">= 0.5",
            ci["ratio_to_insert"],
            ci["ratio_to_insert"] is not None and ci["ratio_to_insert"] >= 0.5,
        )
        goal("POST /checkins p99 at 32 connections", "< 100 ms", ci["p99_ms"], ci["p99_ms"] < 100)
        errors = (
            ci["errors"] + r["checkins_during_rollups"]["errors"] + ci.get("alternating", {}).get("errors", 0)
        )
        goal("POST /checkins errors", "0", errors, errors == 0)
        lost = r.get("verify", {}).get("lost_total")
        goal("check-ins lost or duplicated", "0", lost, lost == 0 and r["verify"]["ok"])
        goal(
            "a million check-ins",
            "< 20 min",
            ci["minutes_for_employees"] and round(1_000_000 / ci["per_s"] / 60, 1),
            ci["per_s"] > 0 and 1_000_000 / ci["per_s"] < 1200,
            _million_on_this_host(r),
        )
    b = r.get("batch")
    if b:
        goal(
            "batch endpoint",
            ">= 10 000 check-ins/s",
            b["per_s"],
            b["per_s"] >= 10_000 and b["errors"] == 0,
            _copy_on_this_host(r, b["per_s"]),
        )
    g = r.get("rollup", {}).get("group")
    if g:
        at = r["scale"]["employees"]
        goal(f"group roll-up p50, one client ({at:,} employees)", "< 30 ms", g["p50_ms"], g["p50_ms"] < 30)
    gen = r.get("generate")
    if gen:
        goal(
            f"generate {gen['employees']:,} employees, {gen['days']} days",
            "< 300 s",
            gen["seconds"],
            gen["seconds"] < 300,
        )
    e = r.get("export")
    if e and all(e[k]["worker_peak_rss_mib"] and e[k]["worker_rss_before_mib"] for k in ("large", "small")):
        # What each export added to its worker (peak during the request minus the worker's size just
        # before it): the two exports may be served by different workers, whose sizes differ by what
        # they served before (a batch of 1 000 leaves ~25 MiB), so their peaks alone do not compare.
        added = {k: e[k]["worker_peak_rss_mib"] - e[k]["worker_rss_before_mib"] for k in ("large", "small")}
        growth = round(added["large"] - added["small"], 1)
        goal(
            f"export memory flat ({e['small']['rows']:,} vs {e['large']['rows']:,} rows)",
            "the larger adds < 16 MiB more",
            growth,
            growth < 16,
        )
    return out


# The issue's machine, for orientation (issue 5): a bare single-row insert view ~2 000 requests/s,
# PostgreSQL's COPY ~140 000 rows/s. The goals in absolute rates were set there; the run's own
# ceilings say how far this host is from it.
ISSUE_INSERT_PER_S = 2_000
ISSUE_COPY_ROWS_PER_S = 140_000


def _million_on_this_host(r: dict[str, Any]) -> str:
    """What the host's bare-insert ceiling allows for a million: the minutes at the ceiling itself and
    at the ratio goal (0.5 x it). A million in 20 min at 0.5 x needs a ceiling of 1 667 /s."""
    insert = (r.get("ceilings") or {}).get("insert") or {}
    per_s = insert.get("per_s")
    if not per_s:
        return ""
    at_ceiling = 1_000_000 / per_s / 60
    return (
        f"this host's bare insert: {per_s:,.0f} /s (the issue's machine ~{ISSUE_INSERT_PER_S:,}): "
        f"a million at it {at_ceiling:,.1f} min, at 0.5 x it {2 * at_ceiling:,.1f} min"
    )


def _copy_on_this_host(r: dict[str, Any], batch_per_s: float) -> str:
    """The host's COPY ceiling of check-in rows beside the issue machine's, and the batch's share of it."""
    rows_per_s = (r.get("copy_ceiling") or {}).get("rows_per_s")
    if not rows_per_s:
        return ""
    share = batch_per_s / rows_per_s
    return (
        f"this host's COPY of check-in rows: {rows_per_s:,.0f} rows/s "
        f"(the issue's machine ~{ISSUE_COPY_ROWS_PER_S:,}); the batch is {share:.3f} x it"
    )


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        s = f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"
    elif isinstance(v, int):
        s = f"{v:,}"
    else:
        s = str(v)
    return s + unit


# The settings that docs/operations.md changes for a deployment: the table names them beside every
# run, whose figures depend on them (the batch most: session 17 of docs/performance-history.md).
DEPLOYMENT_SETTINGS = (
    "shared_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "wal_compression",
    "autovacuum",
)


def render_table(r: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str]] = []
    add = rows.append
    db = r.get("database", {})
    if db.get("vendor") == "postgresql":
        named = ", ".join(f"{n} {db[n]}" for n in DEPLOYMENT_SETTINGS if n in db)
        add(("database", f"PostgreSQL {db.get('version', '?').split()[0]}", "", named))
    c = r.get("ceilings", {})
    noop, insert = c.get("noop"), c.get("insert")
    if noop:
        add(("ceiling: /bench/noop", _fmt(noop["per_s"], " req/s"), "", f"p99 {_fmt(noop['p99_ms'])} ms"))
    if insert:
        add(("ceiling: /bench/insert", _fmt(insert["per_s"], " req/s"), "", f"p99 {insert['p99_ms']} ms"))
    ci = r.get("checkins")
    if ci:
        add(
            (
                f"POST /checkins ({r['settings']['connections']} conn)",
                _fmt(ci["per_s"], "/s"),
                f"{_fmt(ci['ratio_to_insert'])} × insert, {_fmt(ci['ratio_to_noop'])} × noop",
                f"p50 {ci['p50_ms']} / p99 {ci['p99_ms']} ms, {ci['errors']} errors",
            )
        )
        alt = ci.get("alternating")
        if alt and alt["ratio_median"] is not None:
            add(
                (
                    f"  alternating with insert ({len(alt['rounds'])} rounds)",
                    f"median {_fmt(alt['ratio_median'])} × insert",
                    f"range {_fmt(alt['ratio_min'])}–{_fmt(alt['ratio_max'])} ×",
                    f"{alt['seconds_per_phase']} s a phase, {alt['errors']} errors",
                )
            )
    b = r.get("batch")
    if b:
        add(
            (
                f"POST /checkins/batch ({b['batch_size']})",
                _fmt(b["per_s"], "/s"),
                f"{_fmt(b['ratio_to_insert'])} × insert",
                f"{b['errors']} errors, batch p50 {_fmt(b['batch_p50_ms'])} ms",
            )
        )
    for name, phase in (("bare insert", insert), ("check-in", ci), ("batch item", b)):
        wal = (phase or {}).get("wal")
        if wal and wal["bytes_per_write"] is not None:
            add(
                (
                    f"  WAL per {name} (PostgreSQL)",
                    f"{_fmt(wal['bytes_per_write'] / 1024)} kB",
                    f"{wal['checkpoints_completed']} checkpoints completed in the phase",
                    "",
                )
            )
    floor = r.get("latency_floor")
    for key, v in r.get("rollup", {}).items():
        code = r["units"][key]["code"]
        add(
            (
                f"rollup {code} ({r['units'][key]['people']:,} people), 1 client",
                f"p50 {_fmt(v['p50_ms'])} ms",
                f"{_fmt(v['ratio_to_floor'])} × floor" if floor else "",
                f"p99 {_fmt(v['p99_ms'])} ms",
            )
        )
    for key, v in r.get("rollup_under_load", {}).items():
        if key == "errors":
            continue
        code = r["units"][key]["code"]
        add((f"rollup {code} under load", f"p50 {_fmt(v['p50_ms'])} ms", "", f"p99 {_fmt(v['p99_ms'])} ms"))
    if floor:
        add(("latency floor (/bench/noop, 1 client)", f"p50 {_fmt(floor['p50_ms'])} ms", "", ""))
    m = r.get("missing")
    if m:
        add(
            (
                f"missing list {r['units']['missing']['code']} ({r['units']['missing']['people']:,})",
                f"p50 {_fmt(m['p50_ms'])} ms",
                f"{_fmt(m['ratio_to_floor'])} × floor",
                f"p99 {_fmt(m['p99_ms'])} ms",
            )
        )
    deep = r.get("missing_deep")
    if deep:
        add(
            (
                f"missing list {r['units']['group']['code']} page {deep['page']} ({deep['count']:,})",
                f"p50 {_fmt(deep['p50_ms'])} ms",
                f"{_fmt(deep['ratio_to_floor'])} × floor",
                f"p99 {_fmt(deep['p99_ms'])} ms",
            )
        )
    roster = r.get("roster_deep")
    if roster:
        where = f"{r['units']['group']['code']} page {roster['page']} ({roster['count']:,})"
        for key, how in (("by_page", "by page="), ("by_after", "by after=")):
            d = roster[key]
            add(
                (
                    f"roster {where} {how}",
                    f"p50 {_fmt(d['p50_ms'])} ms",
                    f"{_fmt(d['ratio_to_floor'])} × floor",
                    f"p99 {_fmt(d['p99_ms'])} ms",
                )
            )
    for key, label in (
        ("operations", "operations /units/G/operations (API)"),
        ("unit_page", "unit page /units/G/"),
        ("board", "dashboard /dashboard/units/G/"),
        ("board_enterprise", "dashboard of the largest enterprise"),
        ("trends", "30-day trends (JSON)"),
        ("bulletin_pdf", "daily bulletin PDF"),
    ):
        d = r.get(key)
        if d:
            add(
                (
                    label,
                    f"p50 {_fmt(d['p50_ms'])} ms",
                    f"{_fmt(d['ratio_to_floor'])} × floor",
                    f"p99 {_fmt(d['p99_ms'])} ms",
                )
            )
    for key, e in r.get("export", {}).items():
        add(
            (
                f"XLSX export {key} ({e['rows']:,} rows)",
                f"{_fmt(e['seconds'])} s",
                f"{_fmt(e['rows_per_s'])} rows/s",
                f"worker peak RSS {_fmt(e['worker_peak_rss_mib'])} MiB",
            )
        )
    gen = r.get("generate")
    if gen:
        add(
            (
                f"generate {gen['employees']:,} × {gen['days']} days",
                f"{_fmt(gen['seconds'])} s",
                f"{_fmt(gen.get('ratio_to_copy'))} × COPY",
                f"{_fmt(gen['rows'])} rows, {_fmt(gen['rows_per_s'])} rows/s",
            )
        )
    cc = r.get("copy_ceiling")
    if cc and cc.get("rows_per_s"):
        add(("ceiling: COPY into indexed check-ins", _fmt(cc["rows_per_s"], " rows/s"), "", ""))
    s = r.get("db_size")
    if s:
        add(("check-ins size per million", _fmt(s.get("mib_per_million"), " MiB"), "", s.get("method", "")))
    drv = r.get("driver")
    if drv:
        add(
            (
                "driver headroom (noop ÷ check-ins)",
                f"{_fmt(drv['noop_over_checkins'])} ×",
                "",
                f"wrk CPU {drv['cpu_cores_during_checkins']} cores",
            )
        )
    w = r.get("warmup")
    if w:
        add(
            (
                "warm-up errors (3 s, not a figure)",
                _fmt(w["errors"]),
                "",
                f"server log {r.get('server_log', '')}",
            )
        )
    v = r.get("verify")
    if v:
        add(("lost check-ins (stored vs 201s)", _fmt(v["lost_total"]), "", "ok" if v["ok"] else "MISMATCH"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)] if rows else [0] * 4
    lines = ["", *("  ".join(row[i].ljust(widths[i]) for i in range(4)).rstrip() for row in rows)]
    lines.append("")
    for g in r.get("goals", []):
        mark = "met" if g["met"] else "MISSED"
        lines.append(f"goal {g['goal']}: {g['target']} -> {_fmt(g['measured'])}  [{mark}]")
        if g.get("host"):
            lines.append(f"     {g['host']}")
    return "\n".join(lines)
