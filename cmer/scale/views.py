"""The framework floor of docs/performance.md (P1): a bench-only page, mounted only with CMER_BENCH=1.

One query, the project's base template and the whole middleware stack (session, second factor,
cell, charter for a signed-in user): what any page costs before doing its own work.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cmer.accounts.models import Cell

# About the size of a key page's main content, so the floor renders and sends as many bytes.
FILLER = "Page de référence des mesures de performance. " * 300


@login_not_required
@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    cells = Cell.objects.filter(is_active=True).count()
    return render(request, "scale/floor.html", {"cells": cells, "filler": FILLER})
