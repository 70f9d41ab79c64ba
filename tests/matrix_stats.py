from tests.matrix import Row

STATS = frozenset({"president", "coordinator", "member", "state_member", "dpo"})

ROWS = {
    "stats:index": Row(allowed=STATS),
    "stats:csv": Row(allowed=STATS),
    "stats:annual_report_pdf": Row(allowed=STATS),
}
