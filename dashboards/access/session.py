"""The Streamlit side of access: who is looking, for how long, and what they looked at.

`require_viewer()` runs first on every script run (dashboards/app.py). It returns
the signed-in Viewer, or draws the sign-in page and stops the run:

- KETREG_AUTH=none: no sign-in; the viewer is the local demo user with the
  network role, and every page shows `banner()`.
- OpenID Connect, when `[auth]` is configured in Streamlit's secrets: a button
  per provider (st.login); the identity's e-mail is looked up in the users file,
  which must hold an entry for it without a password (`ketreg users add EMAIL
  --oidc --role ...`).
- Otherwise a user name and password, checked against the users file's argon2
  hashes, with failed sign-ins throttled per user and per client.

A session ends after KETREG_SESSION_MINUTES without a script run, or
KETREG_SESSION_HOURS after sign-in; the user's entry is read again on every run,
so a removed user or a changed role takes effect at once.

Page views (with the filters the data layer applied) and downloads (with their
row counts) go to the audit log, as do sign-ins, failures and sign-outs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import streamlit as st

from dashboards.access import audit as audit_module
from dashboards.access import settings as auth_settings
from dashboards.access.roles import Role, Viewer
from dashboards.access.throttle import Throttle
from dashboards.access.users import UserStore

STATE = "_ketreg_session"
RUN = "_ketreg_run"
LAST_VIEW = "_ketreg_last_view"
MESSAGE = "_ketreg_sign_in_message"
LOCAL_USER = "local"
DEMO_BANNER = ("Sign-in is off (KETREG_AUTH=none): a local single-user demo with the network "
               "role. Anyone who can reach this server sees every site's data.")


def audit_log() -> audit_module.AuditLog:
    return audit_module.AuditLog(auth_settings.load().audit_dir)


def _audit(event: str, actor: str, **details) -> None:
    audit_log().append(event, actor, **details)


def _client() -> str:
    """The client's address as the server sees it ('local' on this machine)."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - no context outside a session
        address = None
    return address or "local"


# --- OpenID Connect --------------------------------------------------------------------


def oidc_providers() -> list[str | None]:
    """The providers configured in secrets' [auth]: None for an unnamed one, else names."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file at all
        return []
    if not section:
        return []
    section = dict(section)
    if "client_id" in section:
        return [None]
    return [name for name, value in section.items()
            if isinstance(value, dict) or hasattr(value, "keys")]


def _oidc_available() -> bool:
    try:
        import authlib  # noqa: F401
    except ImportError:
        return False
    return True


def _oidc_email() -> str | None:
    try:
        user = st.user
        if not user.get("is_logged_in"):
            return None
        return user.get("email")
    except Exception:  # noqa: BLE001
        return None


# --- the gate --------------------------------------------------------------------------


def current_viewer() -> Viewer | None:
    """The viewer of this script run, set by require_viewer()."""
    try:
        state = st.session_state.get(STATE)
    except Exception:  # noqa: BLE001 - not in a Streamlit run
        return None
    if not state:
        return None
    return Viewer(state["user"], Role.parse(state["role"]), state["method"])


def require_viewer() -> Viewer:
    settings = auth_settings.load()
    if not settings.enabled:
        st.session_state[STATE] = {"user": LOCAL_USER, "role": "network", "method": "none",
                                   "signed_in_at": time.time(), "last_seen_at": time.time()}
        return current_viewer()
    store = UserStore(settings.users_file)
    now = time.time()
    state = st.session_state.get(STATE)
    if state and state.get("method") == "none":
        state = None  # a session opened while sign-in was off does not carry over
        st.session_state.pop(STATE, None)
    if state:
        ended = _ended(state, settings, now)
        user = store.get(state["user"]) if not ended else None
        if not ended and user is None:
            ended = "the account was removed"
        if ended:
            _audit("session_expired" if "removed" not in ended else "sign_out", state["user"],
                   reason=ended, client=_client())
            _forget()
            st.session_state[MESSAGE] = f"Your session ended ({ended}). Please sign in again."
            if state["method"] == "oidc" and _oidc_email():
                st.logout()
                st.stop()
        else:
            state["last_seen_at"] = now
            state["role"] = str(user.role)
            return current_viewer()
    email = _oidc_email() if oidc_providers() else None
    if email:
        user = store.find_oidc(email)
        if user is not None:
            _start(user.name, user.role, "oidc", now)
            return current_viewer()
        _audit("sign_in_refused", email, method="oidc", client=_client(),
               reason="no role in the users file")
        _refused_page(email)
        st.stop()
    _sign_in_page(store, settings)
    st.stop()


def _ended(state: dict, settings: auth_settings.AuthSettings, now: float) -> str | None:
    if now - state.get("last_seen_at", 0) > settings.idle_seconds:
        return f"no activity for {settings.idle_seconds / 60:g} minutes"
    if now - state.get("signed_in_at", 0) > settings.absolute_seconds:
        return f"signed in more than {settings.absolute_seconds / 3600:g} hours ago"
    return None


def expired() -> bool:
    """For the page's timer: has this session run out since its last run?"""
    settings = auth_settings.load()
    state = st.session_state.get(STATE)
    if not settings.enabled or not state:
        return False
    return _ended(state, settings, time.time()) is not None


def _start(user: str, role: Role, method: str, now: float) -> None:
    st.session_state[STATE] = {"user": user, "role": str(role), "method": method,
                               "signed_in_at": now, "last_seen_at": now}
    st.session_state.pop(MESSAGE, None)
    _audit("sign_in", user, method=method, role=str(role), client=_client())


def _forget() -> None:
    for key in (STATE, LAST_VIEW, RUN):
        st.session_state.pop(key, None)


def sign_out() -> None:
    state = st.session_state.get(STATE)
    if not state or state.get("method") == "none":
        return
    _audit("sign_out", state["user"], client=_client())
    _forget()
    if state["method"] == "oidc":
        st.logout()
    st.session_state[MESSAGE] = "You have signed out."


def _sign_in_page(store: UserStore, settings: auth_settings.AuthSettings) -> None:
    st.title("Sign in")
    st.caption("Ketamine outcomes registry: clinical outcomes of real patients, shown to the "
               "people whose role covers them.")
    message = st.session_state.get(MESSAGE)
    if message:
        st.info(message, icon=":material/info:")
    providers = oidc_providers()
    if providers:
        if _oidc_available():
            for provider in providers:
                label = "your organisation" if provider is None else provider
                st.button(f"Sign in with {label}", key=f"signin-oidc-{provider or 'default'}",
                          on_click=st.login, args=(provider,) if provider else (),
                          type="primary")
        else:
            st.error("OpenID Connect is configured ([auth] in secrets) but Authlib is not "
                     "installed: `pip install 'streamlit[auth]'`.")
    with st.form("sign-in", clear_on_submit=True):
        name = st.text_input("User name", key="signin-user", autocomplete="username")
        password = st.text_input("Password", type="password", key="signin-password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not store.path.exists():
        st.caption("No users yet: an administrator adds them with "
                   "`ketreg users add NAME --role network|site:<ID>`.")
    if submitted:
        _attempt(store, settings, name, password)


def _attempt(store: UserStore, settings: auth_settings.AuthSettings, name: str,
             password: str) -> None:
    client = _client()
    throttle = Throttle(settings.throttle_file, settings.max_failures, settings.lockout_seconds)
    attempted = (name or "").strip()[:128]
    lockout = throttle.locked_out(attempted, client)
    if lockout is not None:
        _audit("sign_in_locked", attempted, client=client, locked=lockout.key,
               retry_after_seconds=round(lockout.retry_after))
        st.error(f"Too many failed sign-ins. Try again in {_duration(lockout.retry_after)}.")
        return
    user = store.authenticate(attempted, password or "") if attempted and password else None
    if user is None:
        started = throttle.failure(attempted, client)
        _audit("sign_in_failed", attempted, client=client,
               reason="wrong user name or password")
        if started is not None:
            st.error("Too many failed sign-ins. Try again in "
                     f"{_duration(started.retry_after)}.")
        else:
            st.error("Wrong user name or password.")
        return
    throttle.success(attempted, client)
    _start(user.name, user.role, "password", time.time())
    st.rerun()


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    return f"{seconds} s" if seconds < 120 else f"{round(seconds / 60)} min"


def _refused_page(email: str) -> None:
    st.title("Not authorised")
    st.error(f"{email} has no role in this registry. Ask an administrator to run "
             f"`ketreg users add {email} --oidc --role ...`.")
    st.button("Sign out", on_click=st.logout, key="signin-refused-logout")


# --- on every page -------------------------------------------------------------------


def banner() -> None:
    """What every page says about sign-in (only when it is off)."""
    if not auth_settings.load().enabled:
        st.warning(DEMO_BANNER, icon=":material/lock_open:")


def sidebar(viewer: Viewer) -> None:
    if viewer.method == "none":
        st.caption("Sign-in is off (KETREG_AUTH=none).")
        return
    role = "network (every site)" if viewer.is_network else ", ".join(viewer.own_sites)
    st.caption(f"Signed in as **{viewer.name}** ({role}).")
    st.button("Sign out", key="sign-out", on_click=sign_out, icon=":material/logout:")


def begin_run(page_name: str) -> None:
    """Start collecting what this run of `page_name` asks the data layer for."""
    st.session_state[RUN] = {"page": page_name, "filters": {}}


def note_query(scope: str, params: dict) -> None:
    """Called by dashboards.data for every query of the run: the filters it applied."""
    run = st.session_state.get(RUN)
    if run is None:
        return
    filters = run["filters"]
    if scope is not None:
        scopes = filters.setdefault("scope", [])
        if scope not in scopes:
            scopes.append(scope)
    for key, value in params.items():
        filters[key] = _plain(value)


def _plain(value):
    if isinstance(value, tuple | list | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record_page_view(snapshot_version: str | None) -> None:
    """One audit record per page view; the same view again in a session is not repeated."""
    viewer, run = current_viewer(), st.session_state.get(RUN)
    if viewer is None or run is None:
        return
    view = json.dumps([run["page"], run["filters"], snapshot_version], sort_keys=True,
                      default=str)
    if st.session_state.get(LAST_VIEW) == view:
        return
    st.session_state[LAST_VIEW] = view
    _audit("page_view", viewer.name, role=str(viewer.role), page=run["page"],
           filters=run["filters"], snapshot=snapshot_version, client=_client())


def download_recorder(name: str) -> Callable[[int], None]:
    """A function for the download's data callable: records who took how many rows.

    Streamlit runs that callable on its own thread when the button is clicked, where
    the session is not available: everything it records is captured now.
    """
    viewer, run = current_viewer(), st.session_state.get(RUN) or {}
    page = run.get("page")
    filters = dict(run.get("filters", {}))
    client = _client()
    directory = auth_settings.load().audit_dir

    def record(rows: int) -> None:
        audit_module.AuditLog(directory).append(
            "download", viewer.name if viewer else "unknown",
            role=str(viewer.role) if viewer else None, page=page, download=name, rows=rows,
            filters=filters, client=client)

    return record
