"""Request types for views, so that the type checker knows what the middleware guarantees.

`current_cell` middleware sends every signed-in request without a current membership to the cell
chooser, except for the few pages listed as open before a cell is chosen. Views of cell pages
therefore take a `CellRequest`, whose `membership` and `cell` are never None; views open before
the choice take an `AccountRequest` and test `membership` themselves.
"""

from __future__ import annotations

from django.http import HttpRequest

from cmer.accounts.models import Cell, Membership, User


class AccountRequest(HttpRequest):
    """A request from a signed-in user whose cell may not be chosen yet."""

    user: User
    membership: Membership | None
    cell: Cell | None


class CellRequest(HttpRequest):
    """A request on a cell page: signed in, second factor verified, charter accepted."""

    user: User
    membership: Membership
    cell: Cell
