"""Every change to the catalogue, sessions and certifications: atomic, validated, audited.

Approved versions are never changed: trainers work on a draft copy, and approving it supersedes
the previous version. Observations keep pointing to the Indicator rows of the version they were
made with, so an old signalement keeps its meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Cell, Membership, User
from cmer.audit.services import record
from cmer.core.errors import DomainError
from cmer.notifications.services import notify
from cmer.training import quiz
from cmer.training.bias import BiasGuardMixin
from cmer.training.lexicon import CATALOGUE_FORBIDDEN, CATEGORY_LABELS, find
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
    Provider,
    QuizResult,
    TrainingPolicy,
    TrainingSession,
)
from cmer.training.notifications import CERTIFICATION_EXPIRING

EXPIRY_NOTICE_DAYS = 30


class TrainingError(DomainError):
    """A refused change of the catalogue, a session or a certification (French, via gettext)."""


# --- catalogue -----------------------------------------------------------------------------


def item_problems(*texts: str) -> list[str]:
    """Why a catalogue item is refused: each listed term naming a protected category as such."""
    problems = []
    for hit in find(" \n ".join(t or "" for t in texts), CATALOGUE_FORBIDDEN):
        problems.append(
            _(
                "Un indicateur ne peut pas désigner %(what)s (« %(term)s ») : il décrit un comportement "
                "observable. Religion, pratique religieuse, origine, nationalité, structure familiale, "
                "santé et opinion politique ne sont jamais des indicateurs en tant que tels."
            )
            % {"what": CATEGORY_LABELS[hit.category], "term": hit.term}
        )
    return problems


def _audit(action: str, by: Membership, target: Any, **data: Any) -> None:
    record(action=action, actor=by.user, cell=by.cell_id, target=target, data=data)


def _require_draft(version: CatalogueVersion) -> None:
    if version.status != CatalogueStatus.DRAFT:
        raise TrainingError(
            _("Seule une version brouillon peut être modifiée : une version approuvée ne change plus.")
        )


@transaction.atomic
def catalogue_draft_create(*, by: Membership) -> CatalogueVersion:
    """Start a draft as a full copy of the current version (domains, items, caveats)."""
    existing = CatalogueVersion.objects.select_for_update().filter(status=CatalogueStatus.DRAFT).first()
    if existing is not None:
        return existing
    current = CatalogueVersion.objects.current()
    last = CatalogueVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0
    draft = CatalogueVersion.objects.create(
        number=last + 1, status=CatalogueStatus.DRAFT, based_on=current, created_by=by.user
    )
    if current is not None:
        domains = {}
        for domain in current.domains.all():
            domains[domain.pk] = Domain.objects.create(
                version=draft,
                code=domain.code,
                name=domain.name,
                description=domain.description,
                order=domain.order,
            )
        Indicator.objects.bulk_create(
            Indicator(
                version=draft,
                domain=domains[item.domain_id],
                code=item.code,
                label=item.label,
                signal=item.signal,
                description=item.description,
                examples=item.examples,
                order=item.order,
            )
            for item in current.indicators.all()
        )
        Caveat.objects.bulk_create(
            Caveat(version=draft, text=c.text, source=c.source, order=c.order) for c in current.caveats.all()
        )
    _audit("catalogue.draft_created", by, draft, version=draft.number)
    return draft


@transaction.atomic
def catalogue_domain_save(
    *, draft: CatalogueVersion, domain: Domain | None, values: dict[str, Any], by: Membership
) -> Domain:
    _require_draft(draft)
    problems = item_problems(values.get("name", ""), values.get("description", ""))
    if problems:
        raise TrainingError(" ".join(problems))
    domain = domain or Domain(version=draft)
    for field in ("code", "name", "description", "order"):
        setattr(domain, field, values[field])
    try:
        with transaction.atomic():
            domain.save()
    except IntegrityError:
        raise TrainingError(_("Ce code de domaine existe déjà dans cette version.")) from None
    _audit("catalogue.domain_saved", by, domain, version=draft.number, code=domain.code)
    return domain


@transaction.atomic
def catalogue_indicator_save(
    *, draft: CatalogueVersion, indicator: Indicator | None, values: dict[str, Any], by: Membership
) -> Indicator:
    """Add or change an item of the draft; items naming a protected category are refused."""
    _require_draft(draft)
    problems = item_problems(values["label"], values["description"], values.get("examples", ""))
    if problems:
        raise TrainingError(" ".join(problems))
    if values["domain"].version_id != draft.pk:
        raise TrainingError(_("Le domaine choisi n'appartient pas à ce brouillon."))
    indicator = indicator or Indicator(version=draft)
    for field in ("domain", "code", "label", "signal", "description", "examples", "order"):
        setattr(indicator, field, values[field])
    try:
        with transaction.atomic():
            indicator.save()
    except IntegrityError:
        raise TrainingError(_("Ce code d'indicateur existe déjà dans cette version.")) from None
    _audit("catalogue.indicator_saved", by, indicator, version=draft.number, code=indicator.code)
    return indicator


@transaction.atomic
def catalogue_indicator_delete(*, indicator: Indicator, by: Membership) -> None:
    _require_draft(indicator.version)
    _audit(
        "catalogue.indicator_deleted", by, indicator, version=indicator.version.number, code=indicator.code
    )
    indicator.delete()


@transaction.atomic
def catalogue_caveat_save(
    *, draft: CatalogueVersion, caveat: Caveat | None, values: dict[str, Any], by: Membership
) -> Caveat:
    _require_draft(draft)
    caveat = caveat or Caveat(version=draft)
    for field in ("text", "source", "order"):
        setattr(caveat, field, values[field])
    caveat.save()
    _audit("catalogue.caveat_saved", by, caveat, version=draft.number)
    return caveat


@transaction.atomic
def catalogue_caveat_delete(*, caveat: Caveat, by: Membership) -> None:
    _require_draft(caveat.version)
    _audit("catalogue.caveat_deleted", by, caveat, version=caveat.version.number)
    caveat.delete()


@transaction.atomic
def catalogue_approve(*, version: CatalogueVersion, by: Membership) -> CatalogueVersion:
    """The coordinator approves a draft: it becomes current and the previous one is superseded."""
    version = CatalogueVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != CatalogueStatus.DRAFT:
        raise TrainingError(_("Cette version n'est pas un brouillon : elle ne peut pas être approuvée."))
    items = list(version.indicators.all())
    if not items:
        raise TrainingError(
            _(
                "Une version vide ne peut pas être approuvée : le brouillon doit contenir au moins un indicateur."
            )
        )
    if not version.caveats.exists():
        raise TrainingError(
            _("Les mises en garde officielles doivent accompagner le catalogue : ajoutez-en au moins une.")
        )
    refused = [i.code for i in items if item_problems(i.label, i.description, i.examples)]
    if refused:
        raise TrainingError(
            _("Ces indicateurs désignent une catégorie interdite et doivent être reformulés : %(codes)s.")
            % {"codes": ", ".join(refused)}
        )
    previous = CatalogueVersion.objects.select_for_update().filter(status=CatalogueStatus.APPROVED)
    for old in previous:
        old.status = CatalogueStatus.SUPERSEDED
        old.save(update_fields=["status"])
        _audit("catalogue.superseded", by, old, version=old.number)
    version.status = CatalogueStatus.APPROVED
    version.approved_at = timezone.now()
    version.approved_by = by.user
    version.save(update_fields=["status", "approved_at", "approved_by"])
    _audit("catalogue.approved", by, version, version=version.number, items=len(items))
    return version


# --- sessions, attendance, certifications --------------------------------------------------


@transaction.atomic
def session_create(
    *,
    provider: Provider,
    title: str,
    on: date,
    place: str,
    programme: str,
    audience: Iterable[Cell],
    by: Membership,
) -> TrainingSession:
    cells = list(audience)
    if by.cell not in cells:
        # Otherwise the trainer would create a session they cannot see nor manage.
        raise TrainingError(_("La cellule dans laquelle vous travaillez doit faire partie du public."))
    session = TrainingSession.objects.create(
        provider=provider,
        title=title,
        date=on,
        place=place,
        programme=programme,
        catalogue_version=CatalogueVersion.objects.current(),
        created_by=by,
    )
    session.audience.set(cells)
    _audit("training.session_created", by, session, cells=len(cells))
    return session


@transaction.atomic
def attendance_record(*, session: TrainingSession, attendee: Membership, by: Membership) -> Attendance:
    """Record that a member of an audience cell attended; each person once per session."""
    if not session.audience.filter(pk=attendee.cell_id).exists():
        raise TrainingError(_("Cette personne n'appartient pas à une cellule du public de la session."))
    if Attendance.objects.filter(session=session, user_id=attendee.user_id).exists():
        raise TrainingError(_("Cette personne est déjà inscrite comme présente à cette session."))
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                session=session, user_id=attendee.user_id, cell_id=attendee.cell_id, recorded_by=by
            )
    except IntegrityError:  # a concurrent double submission
        raise TrainingError(_("Cette personne est déjà inscrite comme présente à cette session.")) from None
    _audit("training.attendance_recorded", by, attendance, session=session.pk, user=attendee.user_id)
    return attendance


def default_expiry(issued_on: date) -> date:
    years = TrainingPolicy.current().validity_years
    try:
        return issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February
        return issued_on.replace(year=issued_on.year + years, day=28)


@transaction.atomic
def certification_issue(
    *,
    session: TrainingSession,
    user: User,
    issued_on: date,
    expires_on: date | None,
    by: Membership,
) -> Certification:
    """Certify an attendee: dated today or later, after the session, expiring in the future."""
    today = timezone.localdate()
    expires_on = expires_on or default_expiry(issued_on)
    attendance = Attendance.objects.filter(session=session, user=user).first()
    if attendance is None:
        raise TrainingError(_("Seule une personne présente à la session peut recevoir l'habilitation."))
    if issued_on < today:
        raise TrainingError(
            _("Une habilitation ne peut pas être antidatée : elle prend effet au plus tôt aujourd'hui.")
        )
    if issued_on < session.date:
        raise TrainingError(_("Une habilitation ne peut pas précéder la session de formation."))
    if expires_on <= today or expires_on <= issued_on:
        raise TrainingError(
            _("La date d'expiration doit être postérieure à la date de délivrance et à aujourd'hui.")
        )
    policy = TrainingPolicy.current()
    if policy.quiz_required and not QuizResult.objects.filter(user=user, passed=True).exists():
        raise TrainingError(
            _(
                "Le quiz d'auto-formation réussi est exigé avant l'habilitation : la personne doit d'abord le passer."
            )
        )
    if Certification.objects.filter(session=session, user=user).exists():
        raise TrainingError(_("Une habilitation a déjà été délivrée à cette personne pour cette session."))
    certification = Certification.objects.create(
        user=user,
        cell_id=attendance.cell_id,
        session=session,
        issued_on=issued_on,
        expires_on=expires_on,
        issued_by=by,
    )
    _audit("training.certification_issued", by, certification, user=user.pk, session=session.pk)
    return certification


@transaction.atomic
def certification_revoke(*, certification: Certification, by: Membership) -> Certification:
    if certification.revoked_at is not None:
        raise TrainingError(_("Cette habilitation est déjà retirée."))
    certification.revoked_at = timezone.now()
    certification.revoked_by = by
    certification.save(update_fields=["revoked_at", "revoked_by"])
    _audit("training.certification_revoked", by, certification, user=certification.user_id)
    return certification


@transaction.atomic
def expiring_certifications_notify(*, today: date | None = None) -> int:
    """Notify each holder once, 30 days before expiry, unless they already hold a longer one."""
    today = today or timezone.localdate()
    due = (
        Certification.objects.valid(today)
        .filter(expires_on__lte=today + timedelta(days=EXPIRY_NOTICE_DAYS), expiry_notified_at__isnull=True)
        .select_for_update()
        .select_related("user")
    )
    sent = 0
    now = timezone.now()
    for certification in due:
        renewed = (
            Certification.objects.valid(today)
            .filter(user_id=certification.user_id, expires_on__gt=certification.expires_on)
            .exists()
        )
        if not renewed:
            notify(
                recipients=[certification.user],
                kind=CERTIFICATION_EXPIRING,
                cell=certification.cell,
                target=certification,
            )
            sent += 1
        certification.expiry_notified_at = now
        certification.save(update_fields=["expiry_notified_at"])
        record(
            action="training.expiry_notified",
            cell=certification.cell_id,
            target=certification,
            data={"sent": not renewed},
        )
    return sent


# --- self-study quiz and bias-guard counts ---------------------------------------------------


@transaction.atomic
def quiz_record(*, user: User, version: CatalogueVersion, answers: dict[str, str]) -> QuizResult:
    correct = quiz.correct_count(answers)
    policy = TrainingPolicy.current()
    result = QuizResult.objects.create(
        user=user,
        catalogue_version=version,
        correct=correct,
        questions=len(quiz.QUESTIONS),
        passed=correct >= min(policy.quiz_pass_mark, len(quiz.QUESTIONS)),
    )
    record(action="training.quiz_recorded", actor=user, target=result, data={"passed": result.passed})
    return result


def bias_warnings_record(*, forms: Iterable[object]) -> None:
    """Count what the bias guard warned about in these validated forms, once per submission.

    Not audited on purpose: an audit event carries its actor and time, which would tie a writer
    to a warning; the counters only ever know a code and a month.
    """
    for form in forms:
        if isinstance(form, BiasGuardMixin) and form.bias_warnings:
            bias_warnings_count(codes=[w.code for w in form.bias_warnings], confirmed=form.bias_confirmed)


def _overridden(forms: Iterable[object]) -> list[tuple[str, list[str]]]:
    """(field, codes) for each field whose warnings the writer confirmed."""
    found: list[tuple[str, list[str]]] = []
    for form in forms:
        if not (isinstance(form, BiasGuardMixin) and form.bias_confirmed):
            continue
        for name, warnings in form.bias_warnings_by_field.items():
            if warnings:
                found.append((name, sorted({w.code for w in warnings})))
    return found


@transaction.atomic
def bias_overrides_store(*, forms: Iterable[object], cell: Any, target: models.Model) -> list[BiasOverride]:
    """Keep, with the record just written, each text kept despite a warning (codes, no text).

    Called in the transaction of the write it belongs to (through `guarded_write`), so the
    override exists exactly when the record does. Audited with codes only.
    """
    rows = [
        BiasOverride(
            cell_id=getattr(cell, "pk", cell),
            target_type=target._meta.label_lower,
            target_id=target.pk,
            field=name,
            codes=",".join(codes)[:200],
        )
        for name, codes in _overridden(forms)
    ]
    created = BiasOverride.objects.bulk_create(rows)
    for row in created:
        record(
            action="bias.override_stored",
            cell=row.cell_id,
            target=row,
            data={"target_type": row.target_type, "target_id": row.target_id, "field": row.field},
        )
    return created


T = TypeVar("T")


@transaction.atomic
def guarded_write(
    *,
    forms: Iterable[object],
    cell: Any,
    write: Callable[[], T],
    target: Callable[[T], models.Model] | None = None,
) -> T:
    """Run a domain service, then store the confirmed overrides on the record it wrote, atomically."""
    forms = list(forms)
    result = write()
    record_obj = target(result) if target is not None else result
    if isinstance(record_obj, models.Model):
        bias_overrides_store(forms=forms, cell=cell, target=record_obj)
    return result


@transaction.atomic
def bias_override_review(*, override: BiasOverride, by: Membership) -> BiasOverride:
    """The coordinator has re-read the record: the override leaves the list of texts to re-read."""
    locked = BiasOverride.objects.select_for_update().get(pk=override.pk)
    if locked.cell_id != by.cell_id:
        raise TrainingError(_("Ce texte n'appartient pas à votre cellule."), code="other_cell")
    if locked.reviewed_at is None:
        locked.reviewed_by = by
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["reviewed_by", "reviewed_at"])
        record(action="bias.override_reviewed", actor=by.user_id, cell=locked.cell_id, target=locked)
    return locked


@transaction.atomic
def bias_warnings_count(*, codes: Iterable[str], confirmed: bool) -> None:
    """Count warnings shown (or confirmed by the writer) per code and month; no text, no writer."""
    month = timezone.localdate().replace(day=1)
    counter = "confirmed" if confirmed else "shown"
    for code in sorted(set(codes)):
        row, _created = BiasWarningCount.objects.get_or_create(code=code, month=month)
        BiasWarningCount.objects.filter(pk=row.pk).update(**{counter: F(counter) + 1})
