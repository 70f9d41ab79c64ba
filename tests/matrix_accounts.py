from tests.matrix import ALL, CELL_MANAGERS, Row

ROWS = {
    "core:dashboard": Row(allowed=ALL | {"staff", "outsider"}),
    "core:healthz": Row(public=True),
    "accounts:login": Row(public=True),
    "accounts:logout": Row(auth_step=True),
    "accounts:otp_verify": Row(auth_step=True),
    "accounts:otp_setup": Row(auth_step=True),
    "accounts:backup_codes": Row(allowed=ALL | {"staff", "outsider"}),
    "accounts:choose_cell": Row(allowed=ALL | {"staff", "outsider"}),
    "accounts:charter": Row(allowed=ALL, refused=frozenset({302})),
    "accounts:members": Row(allowed=CELL_MANAGERS),
    "accounts:member_add": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        data=lambda w, c: {"email": w.outsider.email, "role": "member", "service": "CCAS"},
    ),
    "accounts:member_end": Row(
        method="POST", allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": c.members["member"].pk}
    ),
    "accounts:member_role": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": c.members["member"].pk},
        data=lambda w, c: {"role": "guest"},
    ),
}
