"""Read-only queries that may be served by a streaming replica (docs/conventions.md, "Security patterns").

Only code that opts in with `replica_reads()` reads from the `replica` alias, and only when one is
configured (CMER_REPLICA_DATABASE_URL) and no transaction is open on the primary: a read inside a
transaction may be followed by a write that depends on it, and an audited read of personal data
writes its event in the same transaction as the read. Everything else, every write included, goes
to `default`. Today the statistics page's aggregates and the DPO's search of the audit trail opt
in; both tolerate the replica's lag of a few seconds. The statistics' audited exports run in a
transaction, so their figures are read on the primary with their event.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_replica_reads: ContextVar[bool] = ContextVar("cmer_replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads of this block go to the replica (when the rules above allow)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        if (
            _replica_reads.get()
            and REPLICA in connections.settings
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows on both sides

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS  # the replica follows the primary's schema by replication
