"""Roles: `network` (every site) or `site:<ID>` for one or more sites (`site:KC-01,site:KC-02`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

NETWORK = "network"
SITE_PREFIX = "site:"
# Site ids as exports carry them; never the rollup label 'ALL' nor suppression's '~OTHERS'.
SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class RoleError(ValueError):
    pass


@dataclass(frozen=True)
class Role:
    """`sites` None: the network role, every site."""

    sites: frozenset[str] | None = None

    @classmethod
    def network(cls) -> Role:
        return cls(None)

    @classmethod
    def parse(cls, text: str | Iterable[str]) -> Role:
        items = [text] if isinstance(text, str) else list(text)
        parts = [p.strip() for item in items for p in item.split(",") if p.strip()]
        if not parts:
            raise RoleError("no role given: use `network` or `site:<ID>[,site:<ID>...]`")
        if NETWORK in parts:
            if len(parts) > 1:
                raise RoleError("`network` already covers every site: give it alone")
            return cls.network()
        sites = set()
        for part in parts:
            if not part.startswith(SITE_PREFIX):
                raise RoleError(f"unknown role {part!r}: use `network` or `site:<ID>`")
            site = part[len(SITE_PREFIX):]
            if not SITE_ID.match(site) or site.upper() == "ALL":
                raise RoleError(f"not a site id: {site!r}")
            sites.add(site)
        return cls(frozenset(sites))

    @property
    def is_network(self) -> bool:
        return self.sites is None

    def allows(self, site: str) -> bool:
        return self.sites is None or site in self.sites

    def __str__(self) -> str:
        if self.sites is None:
            return NETWORK
        return ",".join(f"{SITE_PREFIX}{s}" for s in sorted(self.sites))


@dataclass(frozen=True)
class Viewer:
    """The person a page is rendered for, and how they signed in (password, oidc, none)."""

    name: str
    role: Role
    method: str = "password"

    @property
    def is_network(self) -> bool:
        return self.role.is_network

    @property
    def own_sites(self) -> tuple[str, ...] | None:
        """The sites this viewer's care team owns, sorted; None for the network role."""
        return None if self.role.sites is None else tuple(sorted(self.role.sites))
