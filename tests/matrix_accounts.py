from tests.matrix import ALL, CELL_MANAGERS, Row, audited
from tests.personas import PASSWORD

EVERYONE = ALL | {"staff", "outsider"}

ROWS = {
    "core:dashboard": Row(allowed=EVERYONE),
    "core:healthz": Row(public=True),
    # Readiness: in the test world no worker, purge or checkpoint ever ran, so 503 (the 200 and the
    # failing names are tested in tests/test_health.py).
    "core:sante": Row(public=True, status=503),
    "accounts:login": Row(public=True),
    "accounts:logout": Row(auth_step=True),
    "accounts:otp_verify": Row(auth_step=True),
    "accounts:otp_setup": Row(auth_step=True),
    "accounts:backup_codes": Row(allowed=EVERYONE),
    # One's own account and password: every signed-in person, cell or not.
    "accounts:account": Row(allowed=EVERYONE),
    "accounts:password_change": Row(
        method="POST",
        allowed=EVERYONE,
        data=lambda w, c: {
            "old_password": PASSWORD,
            "new_password1": "Une-phrase-neuve-et-longue-2026",
            "new_password2": "Une-phrase-neuve-et-longue-2026",
        },
        redirect_to="accounts:account",
        effect=audited("auth.password_changed"),
    ),
    "accounts:choose_cell": Row(allowed=EVERYONE),
    "accounts:charter": Row(allowed=ALL),
    "accounts:members": Row(allowed=CELL_MANAGERS),
    "accounts:member_add": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        data=lambda w, c: {"email": w.outsider.email, "role": "member", "service": "CCAS"},
        redirect_to="accounts:members",
        effect=audited("membership.created"),
    ),
    "accounts:member_end": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": c.members["member"].pk},
        redirect_to="accounts:members",
        effect=audited("membership.ended"),
        refused=404,
    ),
    "accounts:member_role": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": c.members["member"].pk},
        data=lambda w, c: {"role": "guest"},
        redirect_to="accounts:members",
        effect=audited("membership.role_changed"),
        refused=404,
    ),
}

# ProConnect's URLs exist only when an installation turns it on; tests/settings.py turns it on so
# that they are listed here. Sign-in steps: their exact answers are in tests/test_proconnect.py.
ROWS |= {
    "accounts:proconnect_start": Row(auth_step=True),
    "accounts:proconnect_callback": Row(auth_step=True),
    "accounts:proconnect_logged_out": Row(auth_step=True),
}
