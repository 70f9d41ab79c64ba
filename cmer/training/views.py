"""Training views. The catalogue is installation-wide (no cell): its objects are addressed by a
query or form parameter, not by a URL path that would pretend to be one cell's object. Sessions and
certifications belong to cells and follow the usual visible_to → 404 rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cmer.accounts.http import CellRequest
from cmer.accounts.models import Membership
from cmer.core.errors import run_service
from cmer.core.policy import deny, get_visible_or_404, requires
from cmer.training import quiz, services
from cmer.training.forms import (
    ApproveForm,
    AttendanceForm,
    CaveatForm,
    CertificationForm,
    DomainForm,
    IndicatorForm,
    QuizForm,
    SessionForm,
)
from cmer.training.gate import valid_certification
from cmer.training.lexicon import CATEGORY_LABELS
from cmer.training.models import (
    Attendance,
    BiasOverride,
    BiasWarningCount,
    CatalogueStatus,
    CatalogueVersion,
    Caveat,
    Certification,
    Domain,
    Indicator,
    QuizResult,
    TrainingSession,
)
from cmer.training.permissions import (
    abilities,
    can_approve_catalogue,
    can_edit_catalogue_draft,
    can_manage_sessions,
    can_review_bias_overrides,
    can_view_bias_counts,
    can_view_catalogue_draft,
    can_view_sessions,
)

EXPIRING_WINDOW_DAYS = 60


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _catalogue_context(version: CatalogueVersion) -> dict[str, Any]:
    domains = list(version.domains.prefetch_related("indicators"))
    return {"version": version, "domains": domains, "caveats": version.caveats.all()}


@require_GET
def self_study(request: CellRequest) -> HttpResponse:
    """The current catalogue (or an older version) with its caveats and examples, for everyone."""
    membership = request.membership
    # One query for the list and the version shown: there are a handful of versions, ever.
    versions = list(CatalogueVersion.objects.exclude(status=CatalogueStatus.DRAFT).order_by("-number"))
    number = _int(request.GET.get("version"))
    wanted = (lambda v: v.number == number) if number else (lambda v: v.status == CatalogueStatus.APPROVED)
    version = next((v for v in versions if wanted(v)), None)
    if number and version is None:
        raise Http404
    context = {
        "versions": versions,
        "certification": valid_certification(membership),
        "last_quiz": QuizResult.objects.filter(user=request.user).first(),  # one's own result
        "can": abilities(membership),
    }
    if version is not None:
        context |= _catalogue_context(version)
    return render(request, "training/self_study.html", context)


@require_GET
@requires(can_view_catalogue_draft, "catalogue.draft_view")
def draft(request: CellRequest) -> HttpResponse:
    version = CatalogueVersion.objects.filter(status=CatalogueStatus.DRAFT).select_related("based_on").first()
    context: dict[str, Any] = {"draft": version, "can": abilities(request.membership), "form": ApproveForm()}
    if version is not None:
        context |= _catalogue_context(version)
        context |= _changes(version, [i for d in context["domains"] for i in d.indicators.all()])
    return render(request, "training/draft.html", context)


def _item_key(item: Indicator) -> tuple[str, ...]:
    return (item.domain.code, item.label, item.signal, item.description, item.examples)


def _changes(version: CatalogueVersion, items: list[Indicator]) -> dict[str, Any]:
    """What the draft changes against the version it copies, for the approver's review."""
    if version.based_on is None:
        return {"changes": {}, "removed": []}
    base = {i.code: i for i in version.based_on.indicators.select_related("domain")}
    changes = {}
    for item in items:
        old = base.pop(item.code, None)
        if old is None:
            changes[item.pk] = "new"
        elif _item_key(old) != _item_key(item):
            changes[item.pk] = "changed"
    return {"changes": changes, "removed": sorted(base.values(), key=lambda i: i.code)}


@require_POST
@requires(can_edit_catalogue_draft, "catalogue.draft_create")
def draft_create(request: CellRequest) -> HttpResponse:
    version = services.catalogue_draft_create(by=request.membership)
    messages.success(
        request,
        _("Brouillon v%(n)s prêt : c'est une copie de la version en vigueur.") % {"n": version.number},
    )
    return redirect("training:draft")


def _draft_or_redirect(request: CellRequest) -> CatalogueVersion | None:
    version = CatalogueVersion.objects.draft()
    if version is None:
        messages.error(
            request, _("Aucun brouillon en cours : créez-en un à partir de la version en vigueur.")
        )
    return version


def _draft_object(request: CellRequest, model: Any, draft: CatalogueVersion, key: str = "pk") -> Any:
    """The draft's object named by ?pk= (or the posted pk), None for a new one; 404 otherwise."""
    raw = request.POST.get(key) or request.GET.get(key)
    if not raw:
        return None
    return get_visible_or_404(request, model.objects.filter(version=draft), pk=_int(raw))


def _finish_draft_edit(
    request: CellRequest, form: Any, obj: Any, version: CatalogueVersion, save: Any, title: str
) -> HttpResponse:
    valid = request.method == "POST" and form.is_valid()
    services.bias_warnings_record(forms=[form])
    if valid:
        saved = run_service(
            request,
            lambda: services.guarded_write(
                forms=[form],
                cell=request.membership.cell_id,
                write=lambda: save(draft=version, values=form.cleaned_data, by=request.membership, obj=obj),
            ),
            success=_("Brouillon enregistré."),
            form=form,
        )
        if saved is not None:
            return redirect("training:draft")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "training/draft_form.html",
        {"form": form, "obj": obj, "draft": version, "title": title},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@requires(can_edit_catalogue_draft, "catalogue.indicator_edit")
def draft_indicator(request: CellRequest) -> HttpResponse:
    version = _draft_or_redirect(request)
    if version is None:
        return redirect("training:draft")
    obj = _draft_object(request, Indicator, version)
    form = IndicatorForm(request.POST or None, instance=obj, draft=version)
    return _finish_draft_edit(
        request,
        form,
        obj,
        version,
        lambda *, draft, values, by, obj: services.catalogue_indicator_save(
            draft=draft, indicator=obj, values=values, by=by
        ),
        _("Indicateur"),
    )


@require_http_methods(["GET", "POST"])
@requires(can_edit_catalogue_draft, "catalogue.domain_edit")
def draft_domain(request: CellRequest) -> HttpResponse:
    version = _draft_or_redirect(request)
    if version is None:
        return redirect("training:draft")
    obj = _draft_object(request, Domain, version)
    form = DomainForm(request.POST or None, instance=obj)
    return _finish_draft_edit(
        request,
        form,
        obj,
        version,
        lambda *, draft, values, by, obj: services.catalogue_domain_save(
            draft=draft, domain=obj, values=values, by=by
        ),
        _("Domaine"),
    )


@require_http_methods(["GET", "POST"])
@requires(can_edit_catalogue_draft, "catalogue.caveat_edit")
def draft_caveat(request: CellRequest) -> HttpResponse:
    version = _draft_or_redirect(request)
    if version is None:
        return redirect("training:draft")
    obj = _draft_object(request, Caveat, version)
    form = CaveatForm(request.POST or None, instance=obj)
    return _finish_draft_edit(
        request,
        form,
        obj,
        version,
        lambda *, draft, values, by, obj: services.catalogue_caveat_save(
            draft=draft, caveat=obj, values=values, by=by
        ),
        _("Mise en garde"),
    )


@require_POST
@requires(can_edit_catalogue_draft, "catalogue.item_delete")
def draft_delete(request: CellRequest) -> HttpResponse:
    version = _draft_or_redirect(request)
    if version is None:
        return redirect("training:draft")
    is_caveat = request.POST.get("kind") == "caveat"
    obj = _draft_object(request, Caveat if is_caveat else Indicator, version)
    if obj is None:
        raise Http404
    if is_caveat:
        run_service(
            request,
            lambda: services.catalogue_caveat_delete(caveat=obj, by=request.membership),
            success=_("Élément retiré du brouillon."),
        )
    else:
        run_service(
            request,
            lambda: services.catalogue_indicator_delete(indicator=obj, by=request.membership),
            success=_("Élément retiré du brouillon."),
        )
    return redirect("training:draft")


@require_POST
@requires(can_approve_catalogue, "catalogue.approve")
def draft_approve(request: CellRequest) -> HttpResponse:
    version = CatalogueVersion.objects.draft()
    form = ApproveForm(request.POST)
    if version is None:
        messages.error(request, _("Aucun brouillon à approuver."))
    elif not form.is_valid():
        messages.error(request, _("Cochez la case pour confirmer votre relecture avant d'approuver."))
    elif run_service(
        request,
        lambda: services.catalogue_approve(version=version, by=request.membership),
        success=_("Version %(n)s approuvée : elle est désormais en vigueur.") % {"n": version.number},
    ):
        return redirect("training:self_study")
    return redirect("training:draft")


@require_http_methods(["GET", "POST"])
def quiz_view(request: CellRequest) -> HttpResponse:
    version = CatalogueVersion.objects.current()
    form = QuizForm(request.POST or None)
    if request.method == "POST" and version is not None and form.is_valid():
        result = services.quiz_record(user=request.user, version=version, answers=form.cleaned_data)
        if result.passed:
            messages.success(
                request,
                _("Quiz réussi : %(c)s bonnes réponses sur %(n)s.")
                % {"c": result.correct, "n": result.questions},
            )
        else:
            messages.warning(
                request,
                _("%(c)s bonnes réponses sur %(n)s : relisez les mises en garde et réessayez.")
                % {"c": result.correct, "n": result.questions},
            )
        return redirect("training:self_study")
    return render(request, "training/quiz.html", {"form": form, "questions": quiz.QUESTIONS})


@require_GET
@requires(can_view_sessions, "training.session_list")
def sessions(request: CellRequest) -> HttpResponse:
    membership = request.membership
    rows = (
        TrainingSession.objects.visible_to(membership)
        .select_related("provider")
        .annotate(
            attendees=Count("attendances", filter=Q(attendances__cell_id=membership.cell_id), distinct=True)
        )
    )
    form = SessionForm(membership=membership) if can_manage_sessions(membership) else None
    return render(request, "training/sessions.html", {"rows": rows, "form": form})


@require_POST
@requires(can_manage_sessions, "training.session_create")
def session_create(request: CellRequest) -> HttpResponse:
    membership = request.membership
    form = SessionForm(request.POST, membership=membership)
    if form.is_valid():
        data = form.cleaned_data
        session = run_service(
            request,
            lambda: services.session_create(
                provider=data["provider"],
                title=data["title"],
                on=data["date"],
                place=data["place"],
                programme=data["programme"],
                audience=data["audience"],
                by=membership,
            ),
            success=_("Session créée."),
            form=form,
        )
        if session is not None:
            return redirect("training:session_detail", pk=session.pk)
    rows = TrainingSession.objects.visible_to(membership)
    return render(request, "training/sessions.html", {"rows": rows, "form": form}, status=400)


def _attendances(membership: Membership, session: TrainingSession) -> Any:
    """The session's attendees seen from the current cell (a session may serve several cells)."""
    return Attendance.objects.visible_to(membership).filter(session=session).select_related("user")


def _session_page(
    request: CellRequest, session: TrainingSession, status: int = 200, **forms: Any
) -> HttpResponse:
    membership = request.membership
    attendances = list(_attendances(membership, session))
    certifications = list(
        Certification.objects.visible_to(membership).filter(session=session).select_related("user")
    )
    certified = {c.user_id: c.pk for c in certifications}
    manage = can_manage_sessions(membership)
    context = {
        "session": session,
        "attendances": attendances,
        "certifications": certifications,
        "certified": certified,
        "manage": manage,
        "attendance_form": forms.get("attendance_form")
        or (AttendanceForm(membership=membership, auto_id="att-%s") if manage else None),
        "certification_form": forms.get("certification_form")
        or (
            CertificationForm(
                attendances=[a for a in attendances if a.user_id not in certified], auto_id="cert-%s"
            )
            if manage
            else None
        ),
        "today": timezone.localdate(),
    }
    return render(request, "training/session_detail.html", context, status=status)


@require_GET
def session_detail(request: CellRequest, pk: int) -> HttpResponse:
    session = get_visible_or_404(request, TrainingSession.objects.visible_to(request.membership), pk=pk)
    return _session_page(request, session)


@require_POST
def attendance_add(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    session = get_visible_or_404(request, TrainingSession.objects.visible_to(membership), pk=pk)
    if not can_manage_sessions(membership):
        raise deny(request, "training.attendance_add", session)
    form = AttendanceForm(request.POST, membership=membership, auto_id="att-%s")
    if form.is_valid():
        attendance = run_service(
            request,
            lambda: services.attendance_record(
                session=session, attendee=form.cleaned_data["attendee"], by=membership
            ),
            success=_("Présence enregistrée."),
            form=form,
        )
        if attendance is not None:
            return redirect("training:session_detail", pk=session.pk)
    return _session_page(request, session, status=400, attendance_form=form)


@require_POST
def certification_issue(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    session = get_visible_or_404(request, TrainingSession.objects.visible_to(membership), pk=pk)
    if not can_manage_sessions(membership):
        raise deny(request, "training.certification_issue", session)
    attendances = list(_attendances(membership, session))
    form = CertificationForm(request.POST, attendances=attendances, auto_id="cert-%s")
    if form.is_valid():
        # The form's choices are these attendances: the attendee is one of them.
        attendee = next(a.user for a in attendances if a.user_id == form.cleaned_data["attendee"])
        certification = run_service(
            request,
            lambda: services.certification_issue(
                session=session,
                user=attendee,
                issued_on=form.cleaned_data["issued_on"],
                expires_on=form.cleaned_data["expires_on"],
                by=membership,
            ),
            success=_("Habilitation délivrée."),
            form=form,
        )
        if certification is not None:
            return redirect("training:session_detail", pk=session.pk)
    return _session_page(request, session, status=400, certification_form=form)


@require_POST
def certification_revoke(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    certification = get_visible_or_404(request, Certification.objects.visible_to(membership), pk=pk)
    if not can_manage_sessions(membership):
        raise deny(request, "training.certification_revoke", certification)
    run_service(
        request,
        lambda: services.certification_revoke(certification=certification, by=membership),
        success=_("Habilitation retirée : la personne ne peut plus signaler."),
    )
    return redirect("training:session_detail", pk=certification.session_id)


@require_GET
@requires(can_view_sessions, "training.expiring_list")
def expiring(request: CellRequest) -> HttpResponse:
    """Certifications issued through the cell to its active members that expire soon (or lapsed
    recently). Only the cell's own: one issued through another cell would reveal a membership."""
    membership = request.membership
    today = timezone.localdate()
    rows = (
        Certification.objects.visible_to(membership)
        .of_active_members()
        .filter(revoked_at__isnull=True)
        .filter(
            expires_on__lte=today + timedelta(days=EXPIRING_WINDOW_DAYS),
            expires_on__gt=today - timedelta(days=90),
        )
        .select_related("user", "session")
        .order_by("expires_on")
    )
    return render(
        request, "training/expiring.html", {"rows": rows, "today": today, "window": EXPIRING_WINDOW_DAYS}
    )


@require_GET
@requires(can_view_bias_counts, "training.bias_counts")
def bias_counts(request: CellRequest) -> HttpResponse:
    totals = (
        BiasWarningCount.objects.values("code")
        .annotate(shown=Sum("shown"), confirmed=Sum("confirmed"))
        .order_by("-shown")
    )
    rows = [{**row, "label": CATEGORY_LABELS.get(row["code"], row["code"])} for row in totals]
    months = [
        {**month, "label": CATEGORY_LABELS.get(month["code"], month["code"])}
        for month in BiasWarningCount.objects.values("month", "code", "shown", "confirmed")[:60]
    ]
    context = {"rows": rows, "months": months, "can": abilities(request.membership)}
    return render(request, "training/bias_counts.html", context)


# Pages of the records a confirmed text belongs to (URL names only: training imports no app above).
OVERRIDE_LINKS = {
    "cases.case": "cases:detail",
    "cases.action": "support:action",
    "exchange.transmission": "exchange:transmission_detail",
}


def _override_row(override: BiasOverride) -> dict[str, Any]:
    try:
        model = apps.get_model(override.target_type)
        kind = str(model._meta.verbose_name)
        field_label = str(model._meta.get_field(override.field).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        kind, field_label = override.target_type, override.field
    url_name = OVERRIDE_LINKS.get(override.target_type)
    return {
        "override": override,
        "kind": kind,
        "field": field_label,
        "categories": [CATEGORY_LABELS.get(code, code) for code in override.code_list],
        "url": reverse(url_name, args=[override.target_id]) if url_name else None,
    }


@require_GET
@requires(can_review_bias_overrides, "training.bias_overrides")
def bias_overrides(request: CellRequest) -> HttpResponse:
    """The coordinator's list of texts kept despite a warning, to re-read (codes, never the text)."""
    overrides = BiasOverride.objects.visible_to(request.membership)[:200]
    rows = [_override_row(o) for o in overrides]
    return render(request, "training/bias_overrides.html", {"rows": rows})


@require_POST
def bias_override_review(request: CellRequest, pk: int) -> HttpResponse:
    override = get_visible_or_404(request, BiasOverride.objects.visible_to(request.membership), pk=pk)
    run_service(
        request,
        lambda: services.bias_override_review(override=override, by=request.membership),
        success=_("Texte marqué comme relu."),
    )
    return redirect("training:bias_overrides")


def bias_overrides_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    """The coordinator's count of confirmed texts still to re-read."""
    count = BiasOverride.objects.visible_to(membership).filter(reviewed_at__isnull=True).count()
    if not count:
        return None
    return {
        "title": _("Textes à relire"),
        "template": "training/_widget_bias_overrides.html",
        "count": count,
        "url": reverse("training:bias_overrides"),
    }
