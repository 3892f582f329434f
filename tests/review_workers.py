"""Child-process bodies for the review store's concurrency and crash tests (spawn-importable).

Kept apart from the test module so that a spawned child imports only lcgis.review.store.
"""

from __future__ import annotations

import random
import time
from typing import Any

#: The dataset all workers review.
DS = "park"


def writer(url: str, worker: int, n: int, parcels: list[str], seed: int) -> dict[str, Any]:
    """Make ``n`` changes to random ``parcels``; about half state the version they read.

    Returns what the caller was told: accepted (parcel, note, version, seq, expected) and
    refused (parcel, note, seq, expected). A change without a version must never be refused.
    """
    from lcgis.errors import StaleVersionError
    from lcgis.review import STATUSES, ReviewStore, User

    store = ReviewStore(url)
    user = User(f"w{worker}", "reviewer")
    rng = random.Random(seed)
    accepted: list[tuple[str, str, int, int, int | None]] = []
    refused: list[tuple[str, str, int, int | None]] = []
    try:
        for i in range(n):
            # mostly the first five (contention), else any (many first changes race)
            parcel = rng.choice(parcels[:5] if rng.random() < 0.7 else parcels)
            note = f"w{worker}-{i}"
            expect: int | None = None
            if rng.random() < 0.5:
                current = store.get(parcel, dataset=DS)
                expect = current.version if current else 0
                if rng.random() < 0.3:  # "think" between reading and saving
                    time.sleep(0.002)
            try:
                result = store.set_review(
                    parcel,
                    dataset=DS,
                    by=user,
                    status=rng.choice(STATUSES),
                    note=note,
                    expect_version=expect,
                )
            except StaleVersionError as exc:
                if expect is None:
                    raise AssertionError(f"unversioned change {note} refused as stale") from exc
                entry: Any = exc.entry
                refused.append((parcel, note, entry.seq, expect))
            else:
                accepted.append((parcel, note, result.review.version, result.entry.seq, expect))
    finally:
        store.close()
    return {"accepted": accepted, "refused": refused}


def hang_in_transaction(url: str, ready: Any, parcel: str) -> None:
    """Start a change, write its rows, then signal ``ready`` and hang before committing."""
    from lcgis.review import ReviewStore, User

    store = ReviewStore(url)

    def hang() -> None:
        ready.set()
        time.sleep(600)

    store._before_commit = hang
    store.set_review(
        parcel, dataset=DS, by=User("w0", "reviewer"), status="已处置", note="uncommitted"
    )


def open_only(url: str) -> str | None:
    """Open (create / upgrade) the store and report its schema revision."""
    from lcgis.review import ReviewStore

    with ReviewStore(url) as store:
        return store.schema_revision()
