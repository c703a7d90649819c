"""Sign-in settings, read from the environment each time (like orchestration.settings).

KETREG_AUTH                    `none` turns sign-in off (a local single-user demo, network
                               role, every page says so); anything else keeps it on
KETREG_SESSION_MINUTES         idle minutes before a session ends (30)
KETREG_SESSION_HOURS           hours after sign-in before a session ends, busy or not (8)
KETREG_SIGNIN_MAX_FAILURES     failed sign-ins in a row, per user or per client, before a
                               lockout (5)
KETREG_SIGNIN_LOCKOUT_SECONDS  the first lockout; each further failure doubles it, up to
                               an hour (60)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from orchestration import settings as ketreg_settings

MAX_LOCKOUT_SECONDS = 3600.0


@dataclass(frozen=True)
class AuthSettings:
    enabled: bool
    idle_seconds: float
    absolute_seconds: float
    max_failures: int
    lockout_seconds: float
    home: Path

    @property
    def users_file(self) -> Path:
        return self.home / "users.json"

    @property
    def throttle_file(self) -> Path:
        return self.home / "auth" / "signin_failures.json"

    @property
    def audit_dir(self) -> Path:
        return self.home / "audit"


def load() -> AuthSettings:
    env = os.environ
    return AuthSettings(
        enabled=env.get("KETREG_AUTH", "").strip().lower() != "none",
        idle_seconds=60 * float(env.get("KETREG_SESSION_MINUTES", "30")),
        absolute_seconds=3600 * float(env.get("KETREG_SESSION_HOURS", "8")),
        max_failures=int(env.get("KETREG_SIGNIN_MAX_FAILURES", "5")),
        lockout_seconds=float(env.get("KETREG_SIGNIN_LOCKOUT_SECONDS", "60")),
        home=ketreg_settings.load().home,
    )
