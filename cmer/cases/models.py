from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.accounts.roles import MANAGERS, SCOPED_MEMBERS, Role, has_role
from cmer.cases.history import plain_note
from cmer.cases.states import STATE_LABELS, CloseReason, State
from cmer.core.fields import EncryptedTextField, new_row_key

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


class Sex(models.TextChoices):
    FEMALE = "F", _("féminin")
    MALE = "M", _("masculin")
    UNSPECIFIED = "X", _("non renseigné")


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, membership: Membership | None) -> PersonQuerySet:
        """People of the cases the membership may read."""
        if membership is None:
            return self.none()
        return self.filter(cases__in=Case.objects.visible_to(membership)).distinct()


class Person(models.Model):
    """The person a situation is about. Identity is encrypted; only exact search via blind index."""

    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="persons")
    last_name = EncryptedTextField(_("nom"))
    first_name = EncryptedTextField(_("prénom"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, default=Sex.UNSPECIFIED)
    birth_date = EncryptedTextField(_("date de naissance"))  # ISO date, encrypted
    # Year only, in clear: age brackets for statistics and the retention age limit.
    birth_year = models.PositiveSmallIntegerField()
    address = EncryptedTextField(_("adresse"), blank=True)
    phone = EncryptedTextField(_("téléphone"), blank=True)
    email = EncryptedTextField(_("adresse électronique"), blank=True)
    situation = EncryptedTextField(_("niveau scolaire ou situation professionnelle"), blank=True)
    legal_representatives = EncryptedTextField(_("représentants légaux (mineur)"), blank=True)
    # Keyed HMAC of normalised last name + first name + birth date: exact search within a cell.
    name_index = models.CharField(max_length=64, db_index=True)
    key_id = models.CharField(max_length=32)
    # Names the row in the associated data of its ciphertexts (docs/decisions/0007-ciphertext-bound-to-row-and-cell.md).
    row_key = models.UUIDField(default=new_row_key, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("personne")

    def __str__(self) -> str:
        return f"Personne #{self.pk}"  # never the name: str() ends up in logs and admin


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, membership: Membership | None) -> CaseQuerySet:
        """docs/rules.md §2 'read a case': P/C all of the cell; M/S their scope; G their item; else none.

        Scope: cases on the agenda of a meeting the member is convened to, from convocation until
        its minutes are validated, or with an action assigned to the member's service.
        Guest: the item they are invited to, during the meeting window only.
        """
        if membership is None:
            return self.none()
        in_cell = self.filter(cell_id=membership.cell_id)
        if has_role(membership, MANAGERS):
            return in_cell
        if has_role(membership, SCOPED_MEMBERS):
            on_agenda = Q(
                agenda_items__meeting__attendees__membership=membership,
                agenda_items__meeting__minutes_validated_at__isnull=True,
                agenda_items__meeting__convened_at__isnull=False,
                agenda_items__meeting__cancelled_at__isnull=True,
            )
            own_service = Q(actions__service=membership.service) if membership.service else Q(pk__in=[])
            ids = in_cell.filter(on_agenda | own_service).values("pk")
            return in_cell.filter(pk__in=ids)
        if membership.role == Role.GUEST:
            now = timezone.now()
            ids = in_cell.filter(
                agenda_items__guests=membership,
                agenda_items__meeting__starts_at__lte=now,
                agenda_items__meeting__ends_at__gte=now,
                agenda_items__meeting__cancelled_at__isnull=True,
            ).values("pk")
            return in_cell.filter(pk__in=ids)
        return self.none()


class Case(models.Model):
    """A situation followed by the cell (never a 'suspect'). Shown by its pseudonymous reference."""

    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(_("référence"), max_length=20, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    state = models.CharField(_("état"), max_length=20, choices=State.choices, default=State.RECEIVED)
    is_minor = models.BooleanField(_("mineur à l'ouverture"))
    opened_at = models.DateTimeField(_("ouverte le"), default=timezone.now)
    prequalification_due = models.DateField(_("pré-qualification attendue le"))
    # Set from the signalement's "danger imminent" box: the case comes first everywhere and is
    # pre-qualified within hours (settings.CMER_URGENT_PREQUALIFICATION_HOURS), not days.
    urgent = models.BooleanField(_("danger imminent"), default=False)
    prequalification_due_at = models.DateTimeField(
        _("pré-qualification attendue avant"), null=True, blank=True
    )
    watch_renewals = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=24, choices=CloseReason.choices, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    scheduled_deletion = models.DateField(_("suppression prévue le"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("situation")
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["cell", "state"], name="case_cell_state_idx")]

    def __str__(self) -> str:
        return self.reference

    def get_state_display(self) -> str:  # type: ignore[no-redef]  # Django's is generated
        """As Django's, with one lookup (cmer/cases/states.py, STATE_LABELS)."""
        return str(STATE_LABELS.get(self.state, self.state))

    @property
    def awaiting_qualification(self) -> bool:
        return self.state in (State.RECEIVED, State.PREQUALIFICATION)

    @property
    def prequalification_overdue(self) -> bool:
        if not self.awaiting_qualification:
            return False
        if self.prequalification_due_at is not None:
            return self.prequalification_due_at < timezone.now()
        return self.prequalification_due < timezone.localdate()


class SystemActor(models.TextChoices):
    """A job that changes cases with no person behind the change (the purge's archiving).

    It stands where a membership would in a Transition, so the history stays complete.
    """

    PURGE = "purge", _("purge automatique (durées de conservation)")


class Transition(models.Model):
    """Every change of state: who (a membership, or a system job), when, why (a short factual note)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    by = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    system_actor = models.CharField(max_length=16, choices=SystemActor.choices, blank=True)
    at = models.DateTimeField(default=timezone.now)
    note = EncryptedTextField(_("motif"), max_length=300, blank=True)
    # Names the row in the associated data of its ciphertexts (docs/decisions/0007-ciphertext-bound-to-row-and-cell.md).
    row_key = models.UUIDField(default=new_row_key, unique=True, editable=False)

    ENCRYPTION_CELL = "case.cell_id"

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            # Exactly one actor: a person's membership or a system job, never both, never none.
            models.CheckConstraint(
                condition=(Q(by__isnull=False) & Q(system_actor=""))
                | (Q(by__isnull=True) & ~Q(system_actor="")),
                name="transition_one_actor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_state} → {self.to_state}"

    def get_from_state_display(self) -> str:  # type: ignore[no-redef]  # Django's is generated
        """As Django's, with one lookup (cmer/cases/states.py, STATE_LABELS)."""
        return str(STATE_LABELS.get(self.from_state, self.from_state))

    def get_to_state_display(self) -> str:  # type: ignore[no-redef]  # Django's is generated
        return str(STATE_LABELS.get(self.to_state, self.to_state))

    @property
    def plain_note(self) -> str:
        """The note as the history shows it: codes of older entries read as their labels."""
        return plain_note(self.note)


class SupportPlan(models.Model):
    """The follow-up plan; requires the person's free consent, and for a minor informing parents."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="support_plan")
    started_on = models.DateField(_("début"))
    consent_on = models.DateField(_("libre adhésion recueillie le"))
    parental_info_on = models.DateField(
        _("titulaires de l'autorité parentale informés le"), null=True, blank=True
    )
    path_referent = models.CharField(_("référent de parcours"), max_length=120, blank=True)
    review_every_weeks = models.PositiveSmallIntegerField(_("revue toutes les (semaines)"), default=6)
    ended_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Plan {self.case_id}"


class ActionResult(models.TextChoices):
    PLANNED = "planned", _("prévue")
    IN_PROGRESS = "in_progress", _("en cours")
    DONE = "done", _("réalisée")
    NOT_DONE = "not_done", _("non réalisée")
    ABANDONED = "abandoned", _("abandonnée")


class ActionQuerySet(models.QuerySet["Action"]):
    def visible_to(self, membership: Membership | None) -> ActionQuerySet:
        """P/C: every action of the cell; M/S: the actions of their own service; others: none."""
        if membership is None:
            return self.none()
        in_cell = self.filter(cell_id=membership.cell_id)
        if has_role(membership, MANAGERS):
            return in_cell
        if has_role(membership, SCOPED_MEMBERS) and membership.service:
            return in_cell.filter(service=membership.service)
        return self.none()


class Action(models.Model):
    """An action of a support plan, assigned to a service (matched with Membership.service)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    # The case's cell, copied: the dashboard's « Actions à échéance » asks one cell's open actions
    # by due date, and through the case PostgreSQL scanned every action of the platform (bench P3).
    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="+", editable=False)
    plan = models.ForeignKey(SupportPlan, on_delete=models.CASCADE, related_name="actions")
    service = models.CharField(_("service"), max_length=120)
    title = models.CharField(_("action"), max_length=200)
    referent = models.CharField(_("référent"), max_length=120, blank=True)
    start_on = models.DateField(_("début"))
    end_on = models.DateField(_("échéance"))
    result = models.CharField(
        _("résultat"), max_length=12, choices=ActionResult.choices, default=ActionResult.PLANNED
    )
    result_note = EncryptedTextField(_("résultat (fait constaté)"), max_length=300, blank=True)
    # Names the row in the associated data of its ciphertexts (docs/decisions/0007-ciphertext-bound-to-row-and-cell.md).
    row_key = models.UUIDField(default=new_row_key, unique=True, editable=False)

    ENCRYPTION_CELL = "case.cell_id"
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["end_on", "pk"]
        indexes = [models.Index(fields=["cell", "result", "end_on"], name="action_cell_due")]

    def __str__(self) -> str:
        return f"Action #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An action belongs to its case's cell, always: set here at creation, never by a form (an
        # action never changes case, so later saves need not read the case again).
        if self.cell_id is None:
            self.cell_id = self.case.cell_id
        super().save(*args, **kwargs)


class ActionUpdate(models.Model):
    """History of an action's reviews: who set which result, when."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=12, choices=ActionResult.choices)
    note = EncryptedTextField(max_length=300, blank=True)
    # Names the row in the associated data of its ciphertexts (docs/decisions/0007-ciphertext-bound-to-row-and-cell.md).
    row_key = models.UUIDField(default=new_row_key, unique=True, editable=False)

    ENCRYPTION_CELL = "action.case.cell_id"

    def __str__(self) -> str:
        return f"{self.action_id} {self.result}"


class ArchiveAccess(models.Model):
    """A written reason given before reading an archived case (the audit event points here)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="archive_accesses")
    by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("motif de consultation"), max_length=300)

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.at:%Y-%m-%d}"


class ReferenceCounter(models.Model):
    """Last number handed out per cell and year: MIR-2026-0042. Locked row, so no duplicates."""

    cell = models.ForeignKey("accounts.Cell", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cell", "year"], name="refcounter_cell_year")]

    def __str__(self) -> str:
        return f"{self.cell_id}/{self.year}: {self.last}"


class InformationStatus(models.TextChoices):
    INFORMED = "informed", _("informée")
    DEFERRED = "deferred", _("information différée")


class InformationMethod(models.TextChoices):
    LETTER = "letter", _("par courrier")
    INTERVIEW = "interview", _("lors d'un entretien")
    LEGAL_REPRESENTATIVE = "legal_representative", _("par l'intermédiaire du représentant légal (mineur)")


class DeferralReason(models.TextChoices):
    """GDPR art. 23 limits: the closed list of reasons to defer informing a person."""

    COMPROMISE_PREVENTION = "compromise_prevention", _("informer compromettrait l'action de prévention")
    STATE_ASSESSMENT = "state_assessment", _("évaluation en cours par les services de l'État")
    JUDICIAL_PROCEEDINGS = "judicial_proceedings", _("procédure judiciaire en cours")
    PERSON_UNREACHABLE = "person_unreachable", _("personne injoignable à ce jour")


class InformationDecision(models.Model):
    """Whether a followed person was informed (GDPR art. 13/14) or why it is deferred (art. 23).

    One row per decision, never changed: the latest is the current one, the earlier ones are the
    history. docs/rules.md §13.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="information_decisions")
    status = models.CharField(_("décision"), max_length=12, choices=InformationStatus.choices)
    informed_on = models.DateField(_("informée le"), null=True, blank=True)
    method = models.CharField(_("moyen"), max_length=24, choices=InformationMethod.choices, blank=True)
    deferral_reason = models.CharField(
        _("motif du report"), max_length=24, choices=DeferralReason.choices, blank=True
    )
    review_on = models.DateField(_("à réexaminer le"), null=True, blank=True)
    decided_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status="informed", informed_on__isnull=False, deferral_reason="") & ~Q(method="")
                )
                | (Q(status="deferred", review_on__isnull=False, method="") & ~Q(deferral_reason="")),
                name="information_decision_complete",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.status}"


class RectificationReason(models.TextChoices):
    RIGHTS_REQUEST = "rights_request", _("demande de rectification de la personne (art. 16)")
    INTAKE_ERROR = "intake_error", _("erreur de saisie constatée")
    NEW_DOCUMENT = "new_document", _("pièce justificative reçue")


class Rectification(models.Model):
    """That identity fields or facts of a person were corrected: which fields, why, by whom.

    The names of the fields only, never their old or new values (docs/rules.md §13).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="rectifications")
    fields = models.JSONField(default=list)
    facts = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(_("motif"), max_length=16, choices=RectificationReason.choices)
    by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.at:%Y-%m-%d}"

    @property
    def field_labels(self) -> list[str]:
        labels = [str(getattr(Person._meta.get_field(name), "verbose_name", name)) for name in self.fields]
        if self.facts:
            labels.append(str(_("faits observés")))
        return labels


class AttachReason(models.TextChoices):
    SAME_PERSON = "same_person", _("même personne, identité vérifiée")
    NEW_FACTS = "new_facts", _("faits nouveaux sur une situation déjà suivie")
    REOPEN = "reopen", _("faits nouveaux après clôture : réouverture")
