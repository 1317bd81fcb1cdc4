"""Run the benchmark on the database in ``DATABASE_URL`` and collect its figures.

The heavy steps run in child processes (``manage.py bench --phase ...``) so that
each one's peak memory (the child's own high-water mark, ``peak_rss_mb``) and time are its own:
the CSV import of the time entries, the full snapshot backfill, and the nightly
job. The SQL floor, the query counts and the load run in this process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client as TestClient
from django.test.utils import CaptureQueriesContext, override_settings

from synapse.bench import floor
from synapse.bench.generator import BENCH_EXECUTIVE, FirmGenerator
from synapse.bench.load import Gunicorn, open_loop, saturation, warm_up
from synapse.bench.scales import Scale
from synapse.kpis.periods import Period, local_midnight
from synapse.kpis.snapshots import backfill_periods

BASE_DIR = Path(settings.BASE_DIR)
DATA_DIR = BASE_DIR / "bench-data"
RATE = 50.0
BENCH_SECRET_KEY = "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
#: The KPI pages requested under load (one of each area).
KPI_PAGES = ("billable_utilization", "sla_compliance", "project_gross_margin", "mrr", "csat")

Say = Callable[[str], None]


@dataclass
class Figures:
    """Every figure of one run, in the order printed."""

    values: dict[str, object] = field(default_factory=dict)

    def __setitem__(self, name: str, value: object) -> None:
        self.values[name] = value


@dataclass(frozen=True)
class ChildResult:
    """What a child phase reported, and its peak resident memory."""

    report: dict
    seconds: float
    peak_mb: float


def run_child(args: list[str]) -> ChildResult:
    """Run ``manage.py bench --phase ...`` and return its JSON report and peak memory."""
    command = [sys.executable, str(BASE_DIR / "manage.py"), "bench", *args]
    began = time.perf_counter()
    process = subprocess.Popen(  # our own manage.py
        command, cwd=BASE_DIR, stdout=subprocess.PIPE, text=True
    )
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - began
    if process.returncode != 0:
        raise RuntimeError(f"bench {' '.join(args)} failed with status {process.returncode}")
    lines = [line for line in output.splitlines() if line.startswith("{")]
    report = json.loads(lines[-1]) if lines else {}
    # The child's own high-water mark; ``ru_maxrss`` survives exec on Linux and so also
    # counts the pages of this (large) process that the child was forked from.
    peak = report.get("peak_rss_mb") or usage.ru_maxrss / 1024
    return ChildResult(report, seconds, peak)


def peak_rss_mb() -> float | None:
    """Return this process's peak resident memory in MB since its exec (Linux ``VmHWM``)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def data_dir(scale: Scale) -> Path:
    """Return the scratch folder of ``scale`` on this database (created)."""
    path = DATA_DIR / f"{connection.vendor}-{scale.name}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def generate(scale: Scale, figures: Figures, say: Say) -> Path:
    """Write the firm (all but time entries) and ``time_entries.csv``; return its folder."""
    folder = data_dir(scale)
    generator = FirmGenerator(scale)
    began = time.perf_counter()
    summary = generator.write()
    generator.refresh_derived()
    analyze()
    figures["generate_s"] = round(time.perf_counter() - began, 2)
    say(f"  firm written in {figures.values['generate_s']} s: {summary.counts}")
    began = time.perf_counter()
    rows = generator.write_time_entries(folder / "time_entries.csv")
    figures["csv_write_s"] = round(time.perf_counter() - began, 2)
    figures["time_entries"] = rows
    for name in ("tickets", "pauses", "survey_responses", "projects", "clients", "contracts"):
        figures[name] = summary.counts.get(name, 0)
    say(f"  {rows} time entries written to CSV in {figures.values['csv_write_s']} s")
    return folder


def analyze() -> None:
    """Refresh the planner statistics and the visibility map after a bulk load, as
    autovacuum would shortly after: ``VACUUM ANALYZE`` on PostgreSQL (without statistics
    it plans the fresh tables as empty; without the visibility map an index-only scan
    still reads every heap page), ``ANALYZE`` on SQLite. Not timed."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def measure_import(folder: Path, figures: Figures, say: Say) -> None:
    """Import ``time_entries.csv`` through ``import_data`` in a child; rows/s and peak MB."""
    child = run_child(["--phase", "import", "--dir", str(folder)])
    rows = int(figures.values.get("time_entries") or child.report.get("rows", 0))
    seconds = child.report["seconds"]
    figures["import_s"] = round(seconds, 2)
    figures["import_peak_mb"] = round(child.peak_mb, 1)
    figures["import_rows_per_s"] = round(rows / seconds) if seconds else None
    say(f"  import: {rows} rows in {seconds:.1f} s, peak {child.peak_mb:.0f} MB")
    analyze()


def measure_recompute(scale: Scale, figures: Figures, say: Say) -> None:
    """Time the full backfill (child) and the hand-written SQL floor over the same periods."""
    child = run_child(
        ["--phase", "recompute", "--from", scale.start.isoformat(), "--to", scale.end.isoformat()]
    )
    figures["recompute_s"] = round(child.report["seconds"], 2)
    figures["recompute_periods"] = child.report.get("periods")
    figures["snapshots"] = child.report.get("snapshots")
    figures["recompute_peak_mb"] = round(child.peak_mb, 1)
    as_of = local_midnight(scale.end + dt.timedelta(days=1))
    periods = backfill_periods(start=scale.start, end=scale.end, today=scale.end)
    began = time.perf_counter()
    floor.floor_run(periods, as_of=as_of)
    figures["sql_floor_s"] = round(time.perf_counter() - began, 2)
    ratio = figures.values["recompute_s"] / max(figures.values["sql_floor_s"], 0.001)
    figures["recompute_vs_sql_ratio"] = round(ratio, 2)
    say(
        f"  recompute {figures.values['recompute_s']} s over {len(periods)} periods, "
        f"SQL floor {figures.values['sql_floor_s']} s"
    )


def measure_nightly(scale: Scale, figures: Figures, say: Say) -> None:
    """Run the nightly job as of the history's last evening in a child; time and peak MB."""
    child = run_child(["--phase", "nightly", "--to", scale.end.isoformat()])
    figures["nightly_s"] = round(child.report["seconds"], 2)
    figures["nightly_peak_mb"] = round(child.peak_mb, 1)
    say(f"  nightly: {figures.values['nightly_s']} s, peak {child.peak_mb:.0f} MB")


def pages(scale: Scale) -> list[tuple[str, str]]:
    """Return the ``(kind, path)`` pages requested: dashboards and KPI pages, past periods."""
    month = Period.containing("month", scale.end).start.isoformat()
    quarter = Period.containing("quarter", scale.end).start.isoformat()
    found = [
        ("dashboard", f"/dashboard/?grain=month&period={month}"),
        ("dashboard", f"/dashboard/?grain=quarter&period={quarter}"),
        ("dashboard", f"/dashboard/?grain=month&period={month}&scope=client:C0001"),
    ]
    found += [("kpi", f"/dashboard/kpi/{key}/?grain=month&period={month}") for key in KPI_PAGES]
    return found


def _executive_client() -> TestClient:
    from django.contrib.auth import get_user_model

    client = TestClient()
    backends = [b for b in settings.AUTHENTICATION_BACKENDS if b.endswith("ModelBackend")]
    client.force_login(
        get_user_model().objects.get(username=BENCH_EXECUTIVE),
        backend=backends[-1] if backends else None,
    )
    return client


def measure_queries(scale: Scale, figures: Figures, say: Say) -> None:
    """Count the queries of each page (in-process, the executive signed in): first on an
    empty cache (``*_cold``: the fragments are rendered), then once warm (served from the
    dashboards' cache, as under load)."""
    call_command("collectstatic", "--noinput", verbosity=0)
    client = _executive_client()
    cache.clear()
    counts: dict[str, int] = {}
    cold: dict[str, int] = {}
    with override_settings(ALLOWED_HOSTS=["*"]):
        for kind, path in pages(scale):
            for found in (cold, counts):
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(path, secure=True)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")
                found[path] = len(queries)
            del kind
    for name, found in (("", counts), ("_cold", cold)):
        dashboard = max(n for p, n in found.items() if p.startswith("/dashboard/?"))
        kpi = max(n for p, n in found.items() if p.startswith("/dashboard/kpi/"))
        figures[f"dashboard_queries{name}_{scale.name}"] = dashboard
        figures[f"kpi_page_queries{name}_{scale.name}"] = kpi
    say(f"  queries per page (warm): {counts}")
    say(f"  queries per page (cold cache): {cold}")


def measure_load(scale: Scale, figures: Figures, say: Say, *, workers: int) -> None:
    """Serve with gunicorn, load at 50 req/s open loop, then find the saturation rate."""
    # The session is signed with the key gunicorn runs with.
    with override_settings(SECRET_KEY=BENCH_SECRET_KEY):
        client = _executive_client()
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    env = {
        "DJANGO_SECRET_KEY": BENCH_SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    }
    # Debug off serves the hashed files of the manifest: collect them as production does.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        check=True,
    )
    connection.close()
    wanted = pages(scale)
    with Gunicorn(workers=workers, base_dir=BASE_DIR, env=env) as server:
        if warm_up(server.port, wanted, cookie=cookie, clients=workers):
            raise RuntimeError("a page did not answer 200 under gunicorn")
        result = open_loop(
            server.port, wanted, cookie=cookie, rate=RATE, seconds=scale.load_seconds
        )
        throughput = saturation(
            server.port, wanted, cookie=cookie, clients=workers * 2,
            seconds=scale.saturation_seconds,
        )  # fmt: skip
    for kind in ("dashboard", "kpi"):
        for q, label in ((0.5, "p50"), (0.95, "p95")):
            value = result.percentile(kind, q)
            figures[f"{kind}_{label}_ms"] = None if value is None else round(value, 1)
    figures["load_requests"] = len(result.samples) + result.lost
    figures["load_errors"] = result.errors()
    figures["saturation_rps"] = round(throughput, 1)
    say(
        f"  load: {len(result.samples)} requests at {RATE:.0f}/s, {result.errors()} errors; "
        f"saturation {throughput:.1f} req/s"
    )
