"""Sign-in: the form, wrong passwords, the lockout that survives a restart, session
expiry, sign-out, OpenID Connect identities mapped through the users file, and the
KETREG_AUTH=none banner on every page."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.access import session
from dashboards.access.audit import AuditLog
from dashboards.access.throttle import Throttle
from tests.dashboards.access_network import PASSWORD
from tests.dashboards.pages import (
    APP,
    PAGES,
    RUN_TIMEOUT,
    errors,
    go,
    render,
    sign_in_form_shown,
    signed_in,
    submit_sign_in,
)


def audit_events(home) -> list[dict]:
    return AuditLog(home / "audit").records()


def fresh_app() -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    return app.run()


def test_nothing_is_shown_before_sign_in(signed_in_home):
    app = fresh_app()
    assert sign_in_form_shown(app)
    assert not app.get("plotly_chart") and not app.dataframe and not app.metric
    assert [t.value for t in app.title] == ["Sign in"]


def test_sign_in_and_out(signed_in_home):
    app = signed_in("alice", PASSWORD)
    assert [t.value for t in app.title] == ["Overview"]
    assert any("alice" in c.value for c in app.sidebar.caption)
    next(b for b in app.sidebar.button if b.label == "Sign out").click().run()
    assert sign_in_form_shown(app)
    events = [e["event"] for e in audit_events(signed_in_home) if e["actor"] == "alice"]
    assert "sign_in" in events and "sign_out" in events


def test_a_wrong_password_is_refused_and_never_recorded(signed_in_home):
    app = fresh_app()
    submit_sign_in(app, "bob", "not-the-password-42")
    assert sign_in_form_shown(app)
    assert errors(app) == ["Wrong user name or password."]
    submit_sign_in(app, "nobody", "whatever-it-is-123")
    assert errors(app) == ["Wrong user name or password."]
    log = (signed_in_home / "audit" / "audit.jsonl").read_text()
    assert "not-the-password-42" not in log and "whatever-it-is-123" not in log
    failed = [e for e in audit_events(signed_in_home) if e["event"] == "sign_in_failed"]
    assert {e["actor"] for e in failed} >= {"bob", "nobody"}
    # clean up the counts for the other tests of this home
    Throttle(signed_in_home / "auth" / "signin_failures.json").success("bob", "local")
    Throttle(signed_in_home / "auth" / "signin_failures.json").success("nobody", "local")


def test_failed_sign_ins_lock_out_and_survive_a_restart(signed_in_home, monkeypatch):
    monkeypatch.setenv("KETREG_SIGNIN_MAX_FAILURES", "3")
    monkeypatch.setenv("KETREG_SIGNIN_LOCKOUT_SECONDS", "120")
    throttle_file = signed_in_home / "auth" / "signin_failures.json"
    app = fresh_app()
    for _ in range(3):
        submit_sign_in(app, "nora", "wrong-password-000")
    assert any("Too many failed sign-ins" in e for e in errors(app))
    assert oct(throttle_file.stat().st_mode & 0o777) == "0o600"
    # a new session (a restarted server reads the same file): the right password is refused
    app = fresh_app()
    submit_sign_in(app, "nora", PASSWORD)
    assert sign_in_form_shown(app)
    assert any("Too many failed sign-ins" in e for e in errors(app))
    assert any(e["event"] == "sign_in_locked" and e["actor"] == "nora"
               for e in audit_events(signed_in_home))
    # once the lockout has passed, the right password works and clears the count
    throttle = Throttle(throttle_file, 3, 120)
    assert throttle.locked_out("nora", "local") is not None
    assert throttle.locked_out("nora", "local", now=time.time() + 121) is None
    throttle.success("nora", "local")
    signed_in("nora", PASSWORD)


def test_lockout_backs_off(tmp_path):
    throttle = Throttle(tmp_path / "failures.json", max_failures=2, lockout_seconds=10)
    assert throttle.failure("u", "1.2.3.4", now=0) is None
    assert throttle.failure("u", "1.2.3.4", now=1).retry_after == 10
    assert throttle.failure("u", "1.2.3.4", now=2).retry_after == 20
    # per client as well: another user name from the same client is locked out too
    assert throttle.locked_out("someone-else", "1.2.3.4", now=3) is not None
    assert throttle.locked_out("someone-else", "5.6.7.8", now=3) is None


def test_sessions_expire(signed_in_home, monkeypatch):
    app = signed_in("bob", PASSWORD)
    state = app.session_state[session.STATE]
    state["last_seen_at"] = time.time() - 31 * 60  # idle for longer than 30 minutes
    app.session_state[session.STATE] = state
    app.run()
    assert sign_in_form_shown(app)
    assert any("no activity" in i.value for i in app.info)
    app = signed_in("bob", PASSWORD)
    state = app.session_state[session.STATE]
    state["signed_in_at"] = time.time() - 9 * 3600  # busy, but signed in 9 hours ago
    app.session_state[session.STATE] = state
    app.run()
    assert sign_in_form_shown(app)
    assert any(e["event"] == "session_expired" and e["actor"] == "bob"
               for e in audit_events(signed_in_home))


def test_a_removed_user_is_signed_out(signed_in_home):
    from dashboards.access.roles import Role
    from dashboards.access.users import UserStore

    store = UserStore(signed_in_home / "users.json")
    store.add("temp", Role.parse("site:KC-01"), password=PASSWORD)
    app = signed_in("temp", PASSWORD)
    store.remove("temp")
    app.run()
    assert sign_in_form_shown(app)


OIDC_SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                         "cookie_secret": "test-only", "client_id": "ketreg",
                         "client_secret": "test-only",
                         "server_metadata_url": "https://idp.invalid/.well-known/"
                                                "openid-configuration"}}


def test_an_oidc_identity_gets_the_role_of_its_users_file_entry(signed_in_home):
    from dashboards.access.roles import Role
    from dashboards.access.users import UserStore

    UserStore(signed_in_home / "users.json").add("dr.b@clinic.example", Role.parse(
        "site:KC-02"), oidc=True)
    app = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    app.secrets = OIDC_SECRETS
    app.user = {"is_logged_in": True, "email": "Dr.B@clinic.example"}
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert [t.value for t in app.title] == ["Overview"]
    assert app.selectbox(key="overview-site").options[1:] == ["KC-02"]
    # an identity the users file does not know gets nothing
    app = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    app.secrets = OIDC_SECRETS
    app.user = {"is_logged_in": True, "email": "stranger@elsewhere.example"}
    app.run()
    assert [t.value for t in app.title] == ["Not authorised"]
    assert not app.dataframe and not app.metric


@pytest.mark.parametrize("page", PAGES)
def test_sign_in_off_says_so_on_every_page(page, hand_home, ketreg_home):
    ketreg_home(hand_home)  # KETREG_AUTH=none
    app = render(page)
    assert not app.exception
    assert any("KETREG_AUTH=none" in w.value for w in app.warning)


def test_signed_in_pages_carry_no_banner(signed_in_home):
    app = signed_in("nora", PASSWORD)
    for page in ("overview", "definitions"):
        go(app, page)
        assert not any("KETREG_AUTH" in w.value for w in app.warning)
