"""SQLite's WAL checkpoints on a thread and connection of their own, off the writer's COMMIT.

In WAL mode a COMMIT appends the pages it changed to the WAL; a checkpoint copies them back
into the database file and fsyncs it. By default the connection whose COMMIT takes the WAL
past 1,000 pages runs that checkpoint before its COMMIT returns: with the group-commit writer,
every caller of that batch (and every batch waiting behind it) waited for up to 1,000 writes
into the database file and its fsync. At a million invoices those pages are all different,
and it set the tail of the update's latency (decision 0026).

So the writer's connection runs with `wal_autocheckpoint=0` (database.create_engine), and
this thread runs PASSIVE checkpoints on its own connection while the writer goes on
committing: a PASSIVE checkpoint takes no write lock and waits for nobody; it copies what no
reader still needs, and SQLite keeps the WAL authoritative until the copy is on disk, so a
checkpoint cut short (a crash, a kill) loses nothing.

What the thread cannot do alone is rewind the WAL. SQLite writes the WAL from its beginning
again only when a write transaction begins after all of it was copied back; under steady
load the writer begins the next batch on the same trip as the COMMIT (decision 0013), so that
moment never comes by itself and the WAL would grow for as long as the load lasts. When it
has grown past `LIMIT_PAGES`, `rewind_due` asks the writer to copy back the rest itself,
after its next COMMIT has been answered and before its next BEGIN (`rewind_if_due`): one
short checkpoint (the thread has copied all but the last batch or two) per `LIMIT_PAGES`,
instead of a long one per 1,000 pages on every caller's COMMIT.
"""

import logging
import sqlite3
import threading

log = logging.getLogger("invoicegate.store")


class Checkpointer:
    """PASSIVE checkpoints of one SQLite database on a daemon thread, woken by commits."""

    # Between two checkpoints at least: each ends with an fsync of the database file, which
    # the writer's COMMIT fsyncs queue behind, so the pages gathered in one interval set the
    # tail. At a million invoices the p99 fell with the interval on both machines measured:
    # 1 s 299/501 ms, 0.1 s 43/41 (decision 0030, section 3a); on a machine twice as fast,
    # 0.25 s 275 ms, 0.1 s 64/39/63, 0.05 s 30/36/31, 0.02 s 26/22, 0.01 s 21 (decision
    # 0033). 0.02 s. With no commit the thread sleeps: an idle server does no checkpoints.
    INTERVAL_SECONDS = 0.02
    # The WAL is rewound beyond this many pages (~120 MB of 4 KiB pages). A rewind delays one
    # batch by a checkpoint's fsyncs (~50 ms on the loaded bench machine); at a million
    # invoices an update writes ~5 pages, so one rewind per ~6,000 updates keeps the delayed
    # batch (32 requests under the bench's load) under 1 % of the requests, out of the p99.
    LIMIT_PAGES = 30_000

    def __init__(self, path: str) -> None:
        self._path = path
        self._interval = self.INTERVAL_SECONDS
        self._limit = self.LIMIT_PAGES
        self._committed = threading.Event()
        self._stopped = threading.Event()
        # Set by the thread, read and cleared by the writer: plain attributes are enough (the
        # GIL), and a stale value costs one checkpoint early or late, never a wrong one.
        self.rewind_due = False
        self.wal_pages = 0  # pages in the WAL at the last checkpoint (for tests and curiosity)
        self.checkpoints = 0
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """The writer committed: there are pages to copy back."""
        self._committed.set()

    def rewind_if_due(self, writer: sqlite3.Connection) -> None:
        """On the writer's connection, outside a transaction, right before its BEGIN: when
        the WAL is due to be rewound, copy back what is left, so that this BEGIN writes the
        WAL from its start again. The writer answers the batch it has just committed first
        (sqlite_writer: no BEGIN on the COMMIT's trip then): only the next batch waits."""
        if not self.rewind_due:
            return
        self.rewind_due = False
        try:
            writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:  # the thread's next checkpoint asks again
            log.warning("sqlite checkpoint on the writer's connection failed", exc_info=True)

    def close(self) -> None:
        """Stop the thread (after the checkpoint in hand) and close its connection."""
        self._stopped.set()
        self._committed.set()
        self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stopped.is_set():
                self._committed.wait()
                if self._stopped.is_set():
                    break
                self._committed.clear()
                if not self.rewind_due:  # else the writer's checkpoint is next; do not race it
                    conn = self._checkpoint(conn)
                self._stopped.wait(self._interval)
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: sqlite3.Connection | None) -> sqlite3.Connection | None:
        """One PASSIVE checkpoint; the connection to use next time (None: reconnect)."""
        try:
            if conn is None:
                conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA synchronous=FULL")  # the copy is fsynced before it counts
            busy, pages, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            log.warning("sqlite checkpoint failed; the next commit retries", exc_info=True)
            if conn is not None:
                conn.close()
            return None
        self.checkpoints += 1
        self.wal_pages = pages
        self.rewind_due = not busy and pages >= self._limit
        return conn
