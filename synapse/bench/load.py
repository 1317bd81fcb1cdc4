"""An open-loop HTTP load generator and a gunicorn it runs against (loopback only).

Open loop: request ``i`` is scheduled at ``t0 + i / rate`` whatever happened to the
earlier ones, and its latency is measured from that scheduled moment, so time spent
queueing behind a slow server counts (a closed loop, which waits for each answer
before sending the next, would hide it). The number of requests and the time waited
for stragglers are bounded. Saturation throughput is measured separately with a
closed loop of a few more clients than workers, for a fixed time.
"""

from __future__ import annotations

import http.client
import math
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"


@dataclass
class Sample:
    """One request: which page kind, latency in ms from its scheduled time, HTTP status."""

    kind: str
    ms: float
    status: int


@dataclass
class LoadResult:
    """The samples of one open-loop run and how many requests never completed in time."""

    samples: list[Sample] = field(default_factory=list)
    lost: int = 0
    seconds: float = 0.0

    def percentile(self, kind: str | None, q: float) -> float | None:
        """Return the ``q`` quantile (0–1, nearest rank) of latencies of ``kind`` (or all)."""
        values = sorted(s.ms for s in self.samples if kind is None or s.kind == kind)
        if not values:
            return None
        rank = math.ceil(q * len(values))
        return values[max(0, min(len(values), rank) - 1)]

    def errors(self) -> int:
        return self.lost + sum(1 for s in self.samples if s.status != 200)


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, cookie: str, timeout: float) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        # As behind the TLS-terminating proxy of a deployment (DJANGO_SECURE_PROXY_SSL_HEADER).
        headers = {"Cookie": cookie, "Host": HOST, "X-Forwarded-Proto": "https"}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def open_loop(
    port: int,
    pages: Sequence[tuple[str, str]],
    *,
    cookie: str,
    rate: float,
    seconds: float,
    threads: int = 64,
    timeout: float = 30.0,
    grace: float = 5.0,
) -> LoadResult:
    """Send ``rate`` requests a second for ``seconds``, cycling through ``pages``
    (``(kind, path)``), each scheduled at a fixed time; return the latencies.

    Requests still unanswered ``grace`` seconds after the last one was due are
    counted as lost (and their late answers ignored), so a run takes at most
    ``seconds + grace``.
    """
    total = max(1, int(rate * seconds))
    result = LoadResult()
    lock = threading.Lock()
    closed = threading.Event()

    def fire(kind: str, path: str, scheduled: float) -> None:
        if closed.is_set():
            return
        try:
            status = _get(port, path, cookie, timeout)
        except OSError:
            status = 0
        sample = Sample(kind, (time.perf_counter() - scheduled) * 1000, status)
        with lock:
            if not closed.is_set():
                result.samples.append(sample)

    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="load")
    start = time.perf_counter() + 0.2
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        kind, path = pages[i % len(pages)]
        pool.submit(fire, kind, path, scheduled)
    deadline = time.perf_counter() + grace
    while time.perf_counter() < deadline:
        with lock:
            if len(result.samples) >= total:
                break
        time.sleep(0.05)
    with lock:
        closed.set()
        result.lost = total - len(result.samples)
    # Let the requests already sent finish, so the next measurement starts idle.
    pool.shutdown(wait=True, cancel_futures=True)
    result.seconds = time.perf_counter() - start
    return result


def warm_up(port: int, pages: Sequence[tuple[str, str]], *, cookie: str, clients: int) -> int:
    """Request every page ``clients`` times over, ``clients`` at a time, so that every
    worker has loaded its code, templates and connections; return the non-200 count."""

    def one(path: str) -> int:
        try:
            return _get(port, path, cookie, 60)
        except OSError:
            return 0

    with ThreadPoolExecutor(max_workers=clients) as pool:
        paths = [path for _ in range(clients) for _, path in pages]
        return sum(1 for status in pool.map(one, paths) if status != 200)


def saturation(
    port: int,
    pages: Sequence[tuple[str, str]],
    *,
    cookie: str,
    clients: int,
    seconds: float,
    timeout: float = 30.0,
) -> float:
    """Return the requests a second ``clients`` closed-loop clients complete in ``seconds``."""
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        k = index
        while time.perf_counter() < stop:
            kind, path = pages[k % len(pages)]
            del kind
            try:
                if _get(port, path, cookie, timeout) == 200:
                    done[index] += 1
            except OSError:
                pass
            k += clients

    began = time.perf_counter()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + timeout)
    return sum(done) / (time.perf_counter() - began)


class Gunicorn:
    """A gunicorn serving ``synapse.wsgi`` on a free loopback port, as a context manager."""

    def __init__(self, *, workers: int, base_dir: Path, env: dict[str, str]) -> None:
        self.workers = workers
        self.port = free_port()
        self.base_dir = base_dir
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn), "synapse.wsgi:application", "--bind", f"{HOST}:{self.port}",
            "--workers", str(self.workers), "--timeout", "120", "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # our own venv's gunicorn
            command, cwd=self.base_dir, env={**os.environ, **self.env}
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("gunicorn exited while starting") from None
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
