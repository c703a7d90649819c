"""The audit trail: what it records (page views with filters, downloads with row
counts, sign-ins, user changes from the command line), that it never holds a
password, and that `ketreg audit verify` finds any edited, removed or reordered line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dashboards.access.audit import AuditLog, verify
from tests.dashboards.access_network import PASSWORD
from tests.dashboards.pages import Downloads, go, signed_in

KETREG = [sys.executable, "-m", "orchestration.cli"]


def ketreg(home, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KETREG_HOME": str(home)}
    return subprocess.run([*KETREG, *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def log(tmp_path):
    audit = AuditLog(tmp_path / "audit")
    for i in range(6):
        audit.append("page_view", "alice", page="overview", filters={"scope": ["ALL"]}, n=i)
    return audit


def rewrite(audit: AuditLog, lines: list[str]) -> None:
    audit.path.write_text("".join(line + "\n" for line in lines))


def test_an_intact_log_verifies(log, tmp_path):
    result = verify(log.directory)
    assert result.ok and result.lines == 6
    assert oct(log.path.stat().st_mode & 0o777) == "0o600"
    done = ketreg(tmp_path, "audit", "verify")
    assert done.returncode == 0 and "6 records" in done.stdout


def test_an_edited_line_is_found(log, tmp_path):
    lines = log.path.read_text().splitlines()
    record = json.loads(lines[2])
    record["actor"] = "mallory"
    lines[2] = json.dumps(record)
    rewrite(log, lines)
    result = verify(log.directory)
    assert not result.ok and result.first_bad_line == 3
    done = ketreg(tmp_path, "audit", "verify")
    assert done.returncode == 1 and "line 3" in done.stderr


def test_an_edit_with_a_recomputed_hash_breaks_the_chain(log):
    from dashboards.access.audit import record_hash

    lines = log.path.read_text().splitlines()
    record = json.loads(lines[1])
    record["page"] = "data_quality"
    record["hash"] = record_hash(record)
    lines[1] = json.dumps(record)
    rewrite(log, lines)
    result = verify(log.directory)
    assert not result.ok and result.first_bad_line == 3


def test_a_removed_line_is_found(log):
    lines = log.path.read_text().splitlines()
    rewrite(log, lines[:3] + lines[4:])
    result = verify(log.directory)
    assert not result.ok and result.first_bad_line == 4


def test_lines_removed_from_the_end_are_found(log):
    rewrite(log, log.path.read_text().splitlines()[:4])
    result = verify(log.directory)
    assert not result.ok and result.first_bad_line == 5


def test_reordered_lines_are_found(log, tmp_path):
    lines = log.path.read_text().splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    rewrite(log, lines)
    result = verify(log.directory)
    assert not result.ok and result.first_bad_line == 2
    assert ketreg(tmp_path, "audit", "verify").returncode == 1


def test_users_are_managed_from_the_command_line(tmp_path):
    added = ketreg(tmp_path, "users", "add", "carol", "--role", "site:KC-09",
                   "--password-stdin", stdin="a long enough password\n")
    assert added.returncode == 0, added.stderr
    assert "a long enough password" not in added.stdout + added.stderr
    users = tmp_path / "users.json"
    assert oct(users.stat().st_mode & 0o777) == "0o600"
    assert "a long enough password" not in users.read_text()
    assert "$argon2id$" in users.read_text()
    assert ketreg(tmp_path, "users", "add", "dr@clinic.example", "--oidc", "--role",
                  "network").returncode == 0
    assert ketreg(tmp_path, "users", "set-role", "carol", "--role", "site:KC-09",
                  "--role", "site:KC-10").returncode == 0
    listed = ketreg(tmp_path, "users", "list").stdout
    assert "carol" in listed and "site:KC-09,site:KC-10" in listed
    assert "dr@clinic.example" in listed and "oidc" in listed and "argon2" not in listed
    assert ketreg(tmp_path, "users", "add", "x", "--role", "site:ALL",
                  "--password-stdin", stdin="a long enough password\n").returncode == 2
    assert ketreg(tmp_path, "users", "add", "y", "--role", "network",
                  "--password-stdin", stdin="short\n").returncode == 2
    assert ketreg(tmp_path, "users", "remove", "carol").returncode == 0
    assert "carol" not in ketreg(tmp_path, "users", "list").stdout
    events = [(e["event"], e.get("user")) for e in AuditLog(tmp_path / "audit").records()]
    assert events == [("user_added", "carol"), ("user_added", "dr@clinic.example"),
                      ("role_changed", "carol"), ("user_removed", "carol")]
    assert verify(tmp_path / "audit").ok


def test_page_views_and_downloads_are_recorded(signed_in_home, monkeypatch):
    downloads = Downloads(monkeypatch)
    app = signed_in("alice", PASSWORD)
    go(app, "safety_follow_up")
    app.radio(key="follow-up-period").set_value("All").run()
    csv = downloads.csv("safety_flags")
    records = AuditLog(signed_in_home / "audit").records()
    views = [r for r in records if r["event"] == "page_view" and r["actor"] == "alice"]
    assert views[-1]["page"] == "safety_follow_up"
    assert views[-1]["filters"] == {"scope": ["ALL"], "days": None}
    assert views[-1]["role"] == "site:KC-01"
    download = [r for r in records if r["event"] == "download"][-1]
    assert download["actor"] == "alice" and download["download"] == "safety_flags"
    assert download["rows"] == len(csv) and download["page"] == "safety_follow_up"
    assert verify(signed_in_home / "audit").ok
