"""Bench results: a table on stdout, JSON in bench/results/, README's Performance section."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.haraka import VERSION as HARAKA_VERSION

DURABLE_PEERS = ("haraka", "aiosmtpd")  # what a user would run instead, each mail fsync'd before 250


@dataclass
class Row:
    target: str
    workload: str
    concurrency: int
    mails: int
    mails_per_s: float
    mb_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    generator: str = "bench"  # or "smtp-source", Postfix's generator, as a cross-check
    vs_sink: float | None = None  # mails/s over smtp-sink's, same workload, C and generator
    vs_peer: float | None = None  # mails/s over the best durable peer's, same workload, C, generator


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # one-line findings: RSS, drain time, ...

    def add_ratios(self) -> None:
        sink = {_key(r): r.mails_per_s for r in self.rows if r.target == "smtp-sink"}
        best: dict[tuple[str, int, str], float] = {}
        for r in self.rows:
            if r.target in DURABLE_PEERS:
                best[_key(r)] = max(best.get(_key(r), 0.0), r.mails_per_s)
        for row in self.rows:
            base = sink.get(_key(row))
            if row.target != "smtp-sink" and base:
                row.vs_sink = row.mails_per_s / base
            if row.target not in ("smtp-sink", *DURABLE_PEERS) and best.get(_key(row)):
                row.vs_peer = row.mails_per_s / best[_key(row)]


def _key(row: Row) -> tuple[str, int, str]:
    return row.workload, row.concurrency, row.generator


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


LEGEND = (
    "Loopback, {cpus} cores, {day}, the load generator on the same cores; every mail a distinct "
    "invoice. smtp-sink: Postfix's sink, which discards (the ceiling). The durable peers, each "
    "mail written, fsync'd, renamed and its directory fsync'd before 250: haraka (Haraka {haraka} "
    "from npm, one process, our queue plugin bench/haraka_durable_queue.js, warnings-only "
    "log) and aiosmtpd (stock aiosmtpd, the write in a thread). aiosmtpd-spool: our SMTP side "
    "alone (SpoolingSMTP, mails adopted as blobs, no database row). inbox serve: the real process, "
    "worker running, rows committed before every 250, the per-address limits lifted (the generator "
    "is one address standing in for many MTAs). Latency: MAIL FROM to the 250 after DATA. "
    "vs sink / vs peer: mails/s over smtp-sink's / the best durable peer's, same workload, C and "
    "generator. smtp-source rows (Postfix's generator, a check on ours) repeat one mail. Each "
    "target and workload gets unmeasured load first (`--warmup`, 2 s): `inbox serve`'s worker is "
    "at full speed when measuring begins, and its backlog carries from one C to the next."
)


def markdown(results: Results) -> str:
    head = (
        "| target | generator | workload | C | mails | mails/s | MB/s | p50 ms | p99 ms | vs sink | vs peer |"
    )
    legend = LEGEND.format(cpus=_cpus(), day=time.strftime("%Y-%m-%d"), haraka=HARAKA_VERSION)
    lines = [legend, "", head, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results.rows:
        lines.append(
            f"| {r.target} | {r.generator} | {r.workload} | {r.concurrency} | {r.mails} "
            f"| {r.mails_per_s:.1f} | {r.mb_per_s:.1f} | {_num(r.p50_ms)} | {_num(r.p99_ms)} "
            f"| {_num(r.vs_sink, 2)} | {_num(r.vs_peer, 2)} |"
        )
    lines.append("")
    lines.extend(f"- {name}: {text}" for name, text in results.notes.items())
    return "\n".join(lines)


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def write_json(results: Results, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    document = {
        "machine": {
            "cpus": _cpus(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "rows": [asdict(r) for r in results.rows],
        "notes": results.notes,
    }
    path = directory / f"bench-{stamp}.json"
    path.write_text(json.dumps(document, indent=2))
    return path


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


def update_readme(readme: Path, table: str, marker: str = "bench") -> str:
    """Put the table between the `marker` comments; returns what was done, for the log."""
    if not readme.exists():
        return f"{readme} does not exist: Performance section not written"
    text = readme.read_text()
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    section = f"{start}\n{table}\n{end}"
    if start in text and end in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + section + after
    else:
        text = text.rstrip("\n") + f"\n\n## Performance\n\n{section}\n"
    readme.write_text(text)
    return f"{readme}: Performance section updated"
