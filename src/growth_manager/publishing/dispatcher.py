"""The dispatcher: a loop in each worker that consumes the ``publish`` queue, claiming due
targets straight from the database and publishing them on a pool of threads.

Why not one broker message per target: on the embedded SQLite broker each message costs a
polling round trip and a write, and a delayed message is exactly what the design forbids (a
scheduled post is a row). So the database is the queue: the dispatcher claims in batches, up to
its free threads, a little ahead of time (``poll`` seconds) so each thread can fire on the
second; the broker only carries "publish this post now", which any worker takes at once.
Analytics never runs here, so it can never delay a post.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import structlog

from growth_manager.kit.clock import utcnow
from growth_manager.publishing import repository
from growth_manager.publishing.engine import Publisher

log = structlog.get_logger(__name__)

REAP_EVERY_SECONDS = 5.0


class Dispatcher:
    def __init__(self, publisher: Publisher, threads: int, poll_seconds: float) -> None:
        self.publisher = publisher
        self.threads = threads
        self.poll = poll_seconds
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="publish")
        self._busy = 0
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- life ----------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="publish-dispatcher", daemon=True)
        self._thread.start()
        log.info(
            "publishing.dispatcher.started", threads=self.threads, poll=self.poll, pid=os.getpid()
        )

    def stop(self, wait: bool = True) -> None:
        """Stop claiming; let the posts in flight finish (their leases would be reaped anyway)."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._pool.shutdown(wait=wait, cancel_futures=False)
        log.info("publishing.dispatcher.stopped")

    def wake(self) -> None:
        with self._lock:
            self._lock.notify_all()

    # --- loop ----------------------------------------------------------------------------------
    def run(self) -> None:
        last_reap = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_reap >= REAP_EVERY_SECONDS:
                    self.publisher.reap()
                    last_reap = time.monotonic()
                claimed = self._claim()
            except Exception:
                log.exception("publishing.dispatcher.loop_failed")
                self._stop.wait(1.0)
                continue
            if not claimed:
                self._idle()

    def _claim(self) -> int:
        with self._lock:
            while self._busy >= self.threads and not self._stop.is_set():
                self._lock.wait(timeout=self.poll)
            free = self.threads - self._busy
        if self._stop.is_set() or free <= 0:
            return 0
        claimed = self.publisher.claim_due(free, lookahead=timedelta(seconds=self.poll))
        for target_id, due in claimed:
            with self._lock:
                self._busy += 1
            self._pool.submit(self._publish, target_id, due)
        return len(claimed)

    def _idle(self) -> None:
        """Sleep until the next due target or the poll interval, whichever is first."""
        try:
            with self.publisher.database.session() as session:
                next_due = repository.next_due(session)
        except Exception:
            next_due = None
        wait = self.poll
        if next_due is not None:
            wait = min(wait, max(0.0, (next_due - utcnow()).total_seconds() - self.poll / 2))
        with self._lock:
            if not self._stop.is_set():
                self._lock.wait(timeout=max(wait, 0.01))

    def _publish(self, target_id: int, due: datetime) -> None:
        try:
            early = (due - utcnow()).total_seconds()
            if early > 0:
                self._stop.wait(min(early, self.poll * 2))
            self.publisher.publish(target_id)
        except Exception:
            log.exception("publishing.dispatcher.publish_failed", target_id=target_id)
        finally:
            with self._lock:
                self._busy -= 1
                self._lock.notify_all()


_running: Dispatcher | None = None


def start(publisher: Publisher, threads: int, poll_seconds: float) -> Dispatcher:
    global _running
    if _running is None:
        _running = Dispatcher(publisher, threads, poll_seconds)
        _running.start()
    return _running


def stop() -> None:
    global _running
    if _running is not None:
        _running.stop()
        _running = None
