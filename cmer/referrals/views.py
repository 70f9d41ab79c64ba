"""Signalement intake, acknowledgement and the submitter's own list."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cmer.accounts.http import CellRequest
from cmer.audit.services import record
from cmer.core.errors import run_service
from cmer.core.policy import get_visible_or_404, requires
from cmer.referrals.forms import ReferralForm, new_submission_key, observation_formset
from cmer.referrals.models import Referral
from cmer.referrals.permissions import can_choose_source, can_follow_own_referrals, can_submit_referral
from cmer.referrals.services import Identity, coarse_status, referral_submit_once
from cmer.training.gate import explain_certification_gate
from cmer.training.models import CatalogueVersion
from cmer.training.services import bias_warnings_record, guarded_write

IDENTITY_FIELDS = [f for f in Identity.__dataclass_fields__]
# What a submitter may know of their signalement's handling (docs/rules.md §2): never the outcome.
STATUS_LABELS = {
    "received": gettext_lazy("reçu"),
    "in_progress": gettext_lazy("en cours de traitement"),
    "done": gettext_lazy("traité"),
}


@require_http_methods(["GET", "POST"])
@explain_certification_gate  # an uncertified member or reporter is told why and whom to contact
@requires(can_submit_referral, "referral.submit")
def submit(request: CellRequest) -> HttpResponse:
    membership = request.membership
    version = CatalogueVersion.objects.current()
    source_fixed = not can_choose_source(membership)
    data = request.POST if request.method == "POST" else None
    form = ReferralForm(data, source_fixed=source_fixed, initial={"submission_key": new_submission_key()})
    formset = observation_formset(data, version)
    valid = data is not None and form.is_valid() & formset.is_valid()
    bias_warnings_record(forms=[form, *formset.forms])  # what the bias guard warned: counts only
    if valid:
        cd = form.cleaned_data
        observations = formset.observations()
        referral = run_service(
            request,
            lambda: guarded_write(
                forms=[form, *formset.forms],
                cell=membership.cell_id,
                write=lambda: referral_submit_once(
                    by=membership,
                    identity=Identity(**{name: cd[name] for name in IDENTITY_FIELDS}),
                    source=cd["source"],
                    description=cd["description"],
                    urgent=cd["urgent"],
                    observations=observations,
                    submission_key=cd["submission_key"],
                ),
            ),
            success=_("Signalement enregistré."),
            form=form,
        )
        if referral is not None:
            return redirect("referrals:acknowledgement", pk=referral.pk)
    context = {
        "form": form,
        "formset": formset,
        "version": version,
        "caveats": version.caveats.all() if version else [],
        "indicators": version.indicators.select_related("domain") if version else [],
    }
    return render(request, "referrals/submit.html", context, status=400 if data is not None else 200)


@require_GET
def acknowledgement(request: CellRequest, pk: int) -> HttpResponse:
    # Only one's own signalement, whatever the role: the page is the submitter's receipt.
    # It shows what was sent (the facts about a person) and a coarse status, never the outcome.
    own = (
        Referral.objects.visible_to(request.membership)
        .filter(submitted_by=request.membership)
        .select_related("case")
        .prefetch_related("observations__indicator")
    )
    referral = get_visible_or_404(request, own, pk=pk)
    record(action="referral.receipt_read", actor=request.user.pk, cell=referral.cell_id, target=referral)
    status = coarse_status(referral.case.state)
    context = {"referral": referral, "status": STATUS_LABELS[status], "status_code": status}
    return render(request, "referrals/acknowledgement.html", context)


@require_GET
@requires(can_follow_own_referrals, "referral.mine")
def mine(request: CellRequest) -> HttpResponse:
    rows = (
        Referral.objects.visible_to(request.membership)
        .filter(submitted_by=request.membership)
        .select_related("case")
        .only("pk", "reference", "received_at", "case__state")
    )
    items = [
        {
            "pk": r.pk,
            "reference": r.reference,
            "received_at": r.received_at,
            "status": STATUS_LABELS[coarse_status(r.case.state)],
        }
        for r in rows
    ]
    return render(request, "referrals/mine.html", {"items": items})
