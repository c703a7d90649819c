"""The dashboard's users: KETREG_HOME/users.json, readable by its owner only (0600).

Each user has a role (`network` or `site:<ID>,...`) and either an argon2id
password hash (argon2-cffi's defaults: memory-hard, salted) or, for OpenID
Connect, no password at all: the user name is then the e-mail address the
identity provider vouches for. Managed with `ketreg users`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dashboards.access import files
from dashboards.access.roles import Role, RoleError

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
MIN_PASSWORD_LENGTH = 12


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str | None = None
    oidc: bool = False
    created_at: str = ""
    updated_at: str = ""

    def as_json(self) -> dict:
        entry = {"role": str(self.role), "created_at": self.created_at,
                 "updated_at": self.updated_at}
        if self.oidc:
            entry["oidc"] = True
        else:
            entry["password_hash"] = self.password_hash
        return entry


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the user is unknown, so that a wrong name takes as long
    # as a wrong password.
    return hasher().hash("not a password of anyone")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def normalise(name: str) -> str:
    name = name.strip()
    return name.lower() if "@" in name else name


def check_name(name: str) -> str:
    name = normalise(name)
    if not USER_NAME.match(name):
        raise UserError(f"not a user name: {name!r} (letters, digits and . _ @ + -, "
                        "at most 128)")
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


class UserStore:
    def __init__(self, path: Path):
        self.path = path

    # reading

    def load(self) -> dict[str, User]:
        if not self.path.exists():
            return {}
        files.tighten(self.path)
        document = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        users = {}
        for name, entry in document.get("users", {}).items():
            try:
                role = Role.parse(entry["role"])
            except (KeyError, RoleError):
                continue  # an entry without a valid role grants nothing
            users[name] = User(name, role, entry.get("password_hash"), bool(entry.get("oidc")),
                               entry.get("created_at", ""), entry.get("updated_at", ""))
        return users

    def get(self, name: str) -> User | None:
        return self.load().get(normalise(name))

    def authenticate(self, name: str, password: str) -> User | None:
        """The user, when `password` is theirs; None otherwise (same cost either way)."""
        user = self.get(name) if USER_NAME.match(normalise(name)) else None
        stored = user.password_hash if user and not user.oidc and user.password_hash else None
        try:
            hasher().verify(stored or _dummy_hash(), password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if stored is None:
            return None
        if hasher().check_needs_rehash(stored):
            self._update(user.name, password_hash=hasher().hash(password))
        return user

    def find_oidc(self, email: str | None) -> User | None:
        if not email:
            return None
        user = self.get(email)
        return user if user and user.oidc else None

    # writing

    def _write(self, users: dict[str, User]) -> None:
        document = {"version": 1,
                    "users": {name: users[name].as_json() for name in sorted(users)}}
        files.write_private(self.path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))

    def add(self, name: str, role: Role, *, password: str | None = None,
            oidc: bool = False) -> User:
        name = check_name(name)
        if oidc:
            if password is not None:
                raise UserError("an OpenID Connect user signs in with their provider: "
                                "no password")
            if "@" not in name:
                raise UserError("an OpenID Connect user is named by their e-mail address")
            password_hash = None
        else:
            if password is None:
                raise UserError("a password is needed (or --oidc)")
            check_password(password)
            password_hash = hasher().hash(password)
        with files.locked(self.path):
            users = self.load()
            if name in users:
                raise UserError(f"user {name!r} exists already (use set-role, or remove it "
                                "first)")
            now = _now()
            users[name] = User(name, role, password_hash, oidc, now, now)
            self._write(users)
            return users[name]

    def remove(self, name: str) -> User:
        name = normalise(name)
        with files.locked(self.path):
            users = self.load()
            if name not in users:
                raise UserError(f"no user {name!r}")
            user = users.pop(name)
            self._write(users)
            return user

    def set_role(self, name: str, role: Role) -> User:
        return self._update(normalise(name), role=role)

    def _update(self, name: str, **changes) -> User:
        with files.locked(self.path):
            users = self.load()
            if name not in users:
                raise UserError(f"no user {name!r}")
            current = users[name]
            users[name] = User(name, changes.get("role", current.role),
                               changes.get("password_hash", current.password_hash),
                               current.oidc, current.created_at, _now())
            self._write(users)
            return users[name]
