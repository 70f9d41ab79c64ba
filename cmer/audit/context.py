"""Per-request context (request id, client address) that the audit trail reads.

A contextvar rather than a thread-local so that it is correct under ASGI and threads alike.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None


_current: ContextVar[RequestContext] = ContextVar("cmer_request", default=RequestContext())


def current() -> RequestContext:
    return _current.get()


def set_current(ctx: RequestContext) -> Token[RequestContext]:
    return _current.set(ctx)


def reset(token: Token[RequestContext]) -> None:
    _current.reset(token)
