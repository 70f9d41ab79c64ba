"""GDPR documents built from the live configuration: the art. 30 register entry (the DPIA,
cmer/privacy/dpia.py, reuses its sections).

Both are a list of sections rendered either as Markdown or as HTML for the PDF. They describe the
processing (who, why, what, for how long, protected how), never the people in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Cell, Membership
from cmer.accounts.roles import Role
from cmer.cases.models import Person
from cmer.core import crypto
from cmer.core.french import format_date, format_datetime
from cmer.privacy.models import YOUNG_AGE_LIMIT
from cmer.privacy.retention import audit_retention_statement, policy_for, policy_pending
from cmer.referrals.models import Source
from cmer.training.models import CatalogueVersion

# Person fields that are bookkeeping, not categories of data about the person.
_TECHNICAL_FIELDS = {"id", "cell", "name_index", "key_id", "created_at"}


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Document:
    title: str
    cell: Cell
    generated_at: str
    sections: list[Section]
    slug: str


def _dpo_names(cell: Cell) -> str:
    dpos = Membership.objects.active().filter(cell=cell, role=Role.DPO).select_related("user")
    return ", ".join(f"{m.user.get_full_name()} <{m.user.email}>" for m in dpos) or _("non désigné")


def _controller(cell: Cell) -> Section:
    protocol = cell.protocols.first()
    return Section(
        _("Responsable du traitement"),
        rows=[
            (_("Responsable"), cell.operator),
            (_("Cellule"), f"{cell} (INSEE {cell.insee_code}, département {cell.department})"),
            (_("Préfecture"), cell.prefecture),
            (_("Délégué à la protection des données"), _dpo_names(cell)),
            (
                _("Protocole"),
                f"{protocol.document_reference}, signé le {format_date(protocol.signed_on)}"
                if protocol
                else _("non enregistré"),
            ),
        ],
    )


def _purposes() -> Section:
    return Section(
        _("Finalités et base légale"),
        items=[
            _(
                "Repérer en amont les personnes présentant un faisceau d'indicateurs de radicalisation, par des agents formés."
            ),
            _(
                "Partager l'information entre la commune et l'État dans le cadre d'une charte de confidentialité."
            ),
            _(
                "Orienter chaque situation vers la prévention sociale ou vers l'État, et suivre les accompagnements."
            ),
        ],
        note=_(
            "Base légale : mission d'intérêt public (RGPD art. 6.1.e), prévention de la délinquance "
            "(code de la sécurité intérieure, art. L132-4 et suivants). Aucun profilage, score ni décision "
            "automatisée (RGPD art. 22)."
        ),
    )


def _data_categories() -> Section:
    person_fields = [
        str(f.verbose_name)
        for f in Person._meta.concrete_fields
        if f.name not in _TECHNICAL_FIELDS and f.name != "birth_year"
    ]
    version = CatalogueVersion.objects.current()
    return Section(
        _("Catégories de données et de personnes"),
        rows=[
            (
                _("Personnes concernées"),
                _(
                    "personnes suivies (mineurs et majeurs), représentants légaux des mineurs, membres de la cellule"
                ),
            ),
            (_("Identité (chiffrée)"), ", ".join(person_fields)),
            (
                _("Faits observés"),
                _(
                    "faits datés rattachés à un indicateur du catalogue (version %(v)s), origine parmi une liste fermée"
                )
                % {"v": version.number if version else "—"},
            ),
            (_("Origines des signalements"), ", ".join(str(label) for label in Source.labels)),
            (
                _("Suivi"),
                _("états de la situation, décisions de réunion (liste fermée), actions, retours de l'État"),
            ),
            (
                _("Données exclues"),
                _(
                    "religion, opinions, santé, origine (RGPD art. 9), statut FSPRT ou fiche S, contenus de renseignement, appréciations sur la personne"
                ),
            ),
        ],
    )


def _recipients(cell: Cell) -> Section:
    counts = dict(
        Membership.objects.active()
        .filter(cell=cell)
        .values_list("role")
        .annotate(n=Count("pk"))
        .values_list("role", "n")
    )
    rows = [(str(Role(role).label), str(counts.get(role, 0))) for role in Role.values]
    return Section(
        _("Destinataires (comptes actifs par rôle)"),
        rows=rows,
        note=_(
            "Chaque rôle n'accède qu'à ce dont il a besoin. Transmissions à l'État "
            "(préfecture, GED, CPRAF) uniquement après double validation. Aucun transfert hors de l'Union européenne."
        ),
    )


def _retention(cell: Cell) -> Section:
    policy = policy_for(cell.pk)
    validated = (
        _("validée par le DPO le %(d)s") % {"d": format_date(policy.validated_at)}
        if policy.validated_at
        else _("non encore validée par le DPO : durées par défaut (maximales)")
    )
    if policy_pending(cell.pk):
        validated += " ; " + _("une modification attend sa validation et ne s'applique pas encore")
    return Section(
        _("Durées de conservation"),
        rows=[
            (_("Signalements classés sans suite"), _("%(n)s jours") % {"n": policy.dismissed_days}),
            (
                _("Situations clôturées"),
                _("archivées puis détruites après %(n)s ans") % {"n": policy.archive_years},
            ),
            (
                _("Mineurs et jeunes majeurs"),
                _(
                    "aucune donnée au-delà de %(age)s ans (mineurs et personnes de moins de %(lim)s ans à l'ouverture)"
                )
                % {"age": policy.young_max_age, "lim": YOUNG_AGE_LIMIT},
            ),
            (
                _("Majeurs plus âgés"),
                _("au plus %(n)s ans après l'ouverture (à partir de %(lim)s ans à l'ouverture)")
                % {"n": policy.adult_cap_years, "lim": policy.young_age_limit},
            ),
            (_("Journal d'audit"), audit_retention_statement(cell.pk)),
            (_("Validation"), validated),
        ],
        note=_("Purge automatique quotidienne ; chaque purge produit un rapport consultable par le DPO."),
    )


def _security() -> Section:
    return Section(
        _("Mesures de sécurité"),
        items=[
            _(
                "Identité chiffrée dans l'application (AES-GCM), clé courante %(k)s ; recherche exacte par index aveugle."
            )
            % {"k": crypto.current_key_id()},
            _("Authentification à deux facteurs obligatoire pour tous les comptes ; comptes nominatifs."),
            _("Cloisonnement strict entre cellules ; besoin d'en connaître à l'intérieur de la cellule."),
            _(
                "Journal d'audit chaîné, en ajout seul, sans donnée personnelle ; alertes sur les accès inhabituels."
            ),
            _("Charte de confidentialité acceptée avant tout accès ; fin d'accès immédiate au départ."),
            _("Sauvegardes et restaurations testées ; rotation des clés de chiffrement."),
        ],
    )


def register_document(cell: Cell) -> Document:
    """The processing register entry (GDPR art. 30) of the cell, as configured today."""
    return Document(
        title=_("Registre des activités de traitement — fiche CMER"),
        cell=cell,
        generated_at=format_datetime(timezone.now()),
        sections=[
            _controller(cell),
            _purposes(),
            _data_categories(),
            _recipients(cell),
            _retention(cell),
            _security(),
        ],
        slug="registre",
    )
