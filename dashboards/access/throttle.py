"""Failed sign-ins, counted per user name and per client, persisted under KETREG_HOME
so that a restart does not forget them.

After `max_failures` failures in a row for a user or for a client, sign-in is
refused (without checking the password) for `lockout_seconds`, doubled for each
further failure, up to an hour. A successful sign-in clears the user's and the
client's count. Entries untouched for a day are dropped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from dashboards.access import files
from dashboards.access.settings import MAX_LOCKOUT_SECONDS

FORGET_AFTER_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Lockout:
    key: str
    retry_after: float


class Throttle:
    def __init__(self, path: Path, max_failures: int = 5, lockout_seconds: float = 60.0):
        self.path = path
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds

    @staticmethod
    def keys(user: str, client: str) -> list[str]:
        return [f"user:{user.strip().lower()[:128]}", f"client:{client}"]

    def _read(self) -> dict:
        if not self.path.exists():
            return {}
        files.tighten(self.path)
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except json.JSONDecodeError:
            return {}

    def _write(self, entries: dict, now: float) -> None:
        entries = {k: v for k, v in entries.items()
                   if now - v.get("last_at", 0) < FORGET_AFTER_SECONDS}
        files.write_private(self.path, json.dumps(entries, sort_keys=True).encode("utf-8"))

    def locked_out(self, user: str, client: str, now: float | None = None) -> Lockout | None:
        now = time.time() if now is None else now
        entries = self._read()
        worst = None
        for key in self.keys(user, client):
            until = entries.get(key, {}).get("locked_until", 0)
            if until > now and (worst is None or until - now > worst.retry_after):
                worst = Lockout(key, until - now)
        return worst

    def failure(self, user: str, client: str, now: float | None = None) -> Lockout | None:
        """Count a failure; the lockout it starts, if any."""
        now = time.time() if now is None else now
        with files.locked(self.path):
            entries = self._read()
            started = None
            for key in self.keys(user, client):
                entry = entries.get(key, {"failures": 0})
                entry["failures"] = entry.get("failures", 0) + 1
                entry["last_at"] = now
                excess = entry["failures"] - self.max_failures
                if excess >= 0:
                    seconds = min(self.lockout_seconds * 2 ** excess, MAX_LOCKOUT_SECONDS)
                    entry["locked_until"] = now + seconds
                    if started is None or seconds > started.retry_after:
                        started = Lockout(key, seconds)
                entries[key] = entry
            self._write(entries, now)
            return started

    def success(self, user: str, client: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with files.locked(self.path):
            entries = self._read()
            for key in self.keys(user, client):
                entries.pop(key, None)
            self._write(entries, now)
