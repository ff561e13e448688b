"""One writer across hosts: a numbered lease kept as records in the Chroma server, with an expiry.

Lease n is the record "lease:n". To take the lease, a process reads the highest one; if it is released or has
expired it adds lease n+1. Adding an id that exists is ignored by Chroma, so of two processes adding n+1 at once one
wins, and both read the winner back. Nobody ever writes another process's lease: a holder renews and releases its
own record only, and a lease that was taken over stays taken over because the newer number is higher.

The residual race, which no store without compare-and-set can close: a holder checks its lease, then writes. If it
stalls for longer than the whole lease between those two requests (a paused VM), another process may have taken the
lease over and written in between. Readers still never see a half-built version (a version is complete before its
manifest is written, and loading checks its count of units); the worst case is that the later of two publishes wins.
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..errors import IngestBusy, StoreError
from .records import Records

log = logging.getLogger("advisor.store")
_KEEP_OLD = 20  # lease records kept below the current one: enough to read who held it recently


@dataclass(frozen=True)
class Lease:
    number: int
    holder: str
    token: str
    expires: float  # on the server's clock, seconds
    released: bool = False

    @property
    def record_id(self) -> str:
        return f"lease:{self.number}"

    def metadata(self) -> dict:
        return {"kind": "lease", "number": self.number, "holder": self.holder, "token": self.token,
                "expires": self.expires, "released": self.released}

    @classmethod
    def from_metadata(cls, meta: dict) -> Lease:
        return cls(int(meta["number"]), str(meta["holder"]), str(meta["token"]), float(meta["expires"]), bool(meta["released"]))


class LeaseLost(StoreError):
    """The lease ran out and another process took it: this one must not write any more."""


class LeaseKeeper:
    """Takes, renews, checks and gives back the one ingestion lease of a store on a Chroma server."""

    def __init__(self, records: Records, seconds: float, location: str) -> None:
        self.records = records
        self.seconds = seconds
        self.location = location

    def latest(self) -> Lease | None:
        leases = [Lease.from_metadata(r.metadata) for r in self.records.of_kind("lease")]
        return max(leases, key=lambda lease: lease.number, default=None)

    def acquire(self, wait_seconds: float = 0.0) -> Lease:
        """Take the lease; raise IngestBusy if another process holds it past `wait_seconds`."""
        deadline = time.monotonic() + wait_seconds
        holder = f"{socket.gethostname()} pid {os.getpid()}"
        while True:
            latest, now = self.latest(), self.records.server_time()
            if latest is None or latest.released or latest.expires <= now:
                mine = Lease((latest.number if latest else 0) + 1, holder, uuid.uuid4().hex, now + self.seconds)
                self.records.add(mine.record_id, f"held by {holder}", mine.metadata())
                won = self.records.get(mine.record_id)
                if won is not None and won.metadata.get("token") == mine.token:
                    self._forget_older_than(mine.number - _KEEP_OLD)
                    return mine
                continue  # another process took this number first: look again
            if time.monotonic() >= deadline:
                raise IngestBusy(f"Another ingestion is running ({latest.holder}, on {self.location}); try again when it has "
                                 f"finished. Its lease runs out in {max(0, round(latest.expires - now))} s if it is not renewed.")
            time.sleep(0.5)

    def check(self, lease: Lease) -> None:
        """Raise LeaseLost unless `lease` is still the newest and has not run out: the fence before every write."""
        latest, now = self.latest(), self.records.server_time()
        if latest is None or latest.token != lease.token:
            taker = f" by {latest.holder}" if latest else ""
            raise LeaseLost(f"The ingestion lease on {self.location} was taken over{taker} after it ran out; this ingestion "
                            "stops without publishing.")
        if latest.expires <= now:
            raise LeaseLost(f"The ingestion lease on {self.location} ran out before the work was done (it lasts "
                            f"{self.seconds:g} s and could not be renewed); this ingestion stops without publishing.")

    def renew(self, lease: Lease) -> Lease:
        self.check(lease)
        renewed = replace(lease, expires=self.records.server_time() + self.seconds)
        self.records.put(renewed.record_id, f"held by {renewed.holder}", renewed.metadata())
        return renewed

    def release(self, lease: Lease) -> None:
        latest = self.latest()
        if latest is not None and latest.token == lease.token:  # a lease taken over is the new holder's to release
            self.records.put(lease.record_id, f"released by {lease.holder}", replace(lease, released=True).metadata())

    @contextlib.contextmanager
    def held(self, wait_seconds: float = 0.0) -> Iterator[HeldLease]:
        """Hold the lease for the block, renewing it in the background a few times per lease period."""
        held = HeldLease(self, self.acquire(wait_seconds))
        renewer = threading.Thread(target=held.keep_renewing, name="lease-renewal", daemon=True)
        renewer.start()
        try:
            yield held
        finally:
            held.stop.set()
            renewer.join()
            try:
                self.release(held.lease)
            except Exception as exc:  # unreleased, it runs out by itself; the block's own error matters more
                log.warning("could not release the ingestion lease on %s: %s", self.location, exc)

    def _forget_older_than(self, number: int) -> None:
        old = [r.id for r in self.records.of_kind("lease") if int(r.metadata["number"]) < number]
        self.records.delete(old)


class HeldLease:
    """The lease a block holds, renewed by a background thread until the block ends."""

    def __init__(self, keeper: LeaseKeeper, lease: Lease) -> None:
        self.keeper = keeper
        self.lease = lease
        self.stop = threading.Event()

    def check(self) -> None:
        self.keeper.check(self.lease)

    def keep_renewing(self) -> None:
        while not self.stop.wait(self.keeper.seconds / 3):
            try:
                self.lease = self.keeper.renew(self.lease)
            except LeaseLost as exc:
                log.error("%s", exc)
                return
            except Exception as exc:  # the server did not answer this time; the fence before each write decides
                log.warning("could not renew the ingestion lease on %s: %s", self.keeper.location, exc)
