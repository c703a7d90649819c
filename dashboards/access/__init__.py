"""Who may see what: users and roles, sign-in, the audit trail.

- roles.py      `network` and `site:<ID>` roles, the Viewer a page is rendered for
- users.py      the users file under KETREG_HOME (argon2id hashes, mode 0600)
- throttle.py   failed sign-ins per user and per client, persisted, with lockout
- audit.py      the append-only, hash-chained audit log and its verification
- settings.py   KETREG_AUTH, session lengths, lockout
- session.py    the Streamlit side: the sign-in gate, session expiry, the
                KETREG_AUTH=none banner, page views and downloads in the audit log

What a viewer sees is decided by dashboards.data (the data-access layer) from
the Viewer that session.py puts in the Streamlit session.
"""
