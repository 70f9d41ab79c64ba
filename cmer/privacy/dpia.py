"""The data protection impact assessment (AIPD), generated from the live configuration and state.

Every measure listed against a risk is read from the settings or the database at the time of the
request, never written as a claim: turn a setting off and the document says so, and what the DPO
still has to decide (a retention change awaiting validation, persons never told, a placeholder in
the controller's identity, no recent audit checkpoint…) is derived from the same reading.
It describes the processing and counts, never names: no person, no reference, no internal code.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Field, Model, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cmer.accounts.models import Cell
from cmer.audit import checkpoints
from cmer.cases.information import information_due
from cmer.cases.models import InformationDecision, InformationStatus, Person
from cmer.core.fields import EncryptedTextField
from cmer.core.french import format_date, format_datetime
from cmer.core.health import BACKUP
from cmer.core.models import Heartbeat
from cmer.privacy.documents import Document, Section, _controller, _purposes, _recipients
from cmer.privacy.models import RightsKind, RightsRequest, RightsStatus
from cmer.privacy.retention import audit_retention_statement, policy_for, policy_pending

# Settings that describe the controller; the shipped defaults say « à compléter » (or « Commune »).
PLACEHOLDER_MARK = "à compléter"
CONTROLLER_SETTINGS = (
    ("CMER_CONTROLLER", "Responsable du traitement"),
    ("CMER_CONTROLLER_ADDRESS", "Adresse du responsable du traitement"),
    ("CMER_DPO_CONTACT", "Contact du délégué à la protection des données"),
    ("CMER_HOST", "Hébergeur"),
)
# The models whose fields make up what the cell records about a person, with the section label.
DATA_MODELS = (
    ("cases.Person", "Identité"),
    ("referrals.Referral", "Signalement"),
    ("referrals.Observation", "Faits observés"),
    ("cases.Case", "Situation"),
    ("cases.Action", "Actions d'accompagnement"),
    ("exchange.Transmission", "Transmissions à l'État"),
    ("cases.InformationDecision", "Information de la personne"),
)
# Apps holding case content (the second-factor secrets, also encrypted, are not case data).
CASE_APPS = {"cases", "referrals", "exchange", "meetings", "support"}
# Fields that are bookkeeping (keys, indexes, timestamps), not data about the person.
_TECHNICAL = {"id", "cell", "name_index", "key_id", "created_at", "updated_at", "row_key"}


def _yes_no(flag: bool) -> str:
    return _("oui") if flag else _("non")


def _explicit(field: Field) -> bool:
    """Fields given a French verbose name are the ones shown to users; the others are bookkeeping."""
    return str(field.verbose_name) != field.name.replace("_", " ")


def _fields(model: type[Model]) -> list[str]:
    names = []
    for f in model._meta.concrete_fields:
        if f.name in _TECHNICAL or f.is_relation or not _explicit(f):
            continue
        label = str(f.verbose_name)
        if isinstance(f, EncryptedTextField):
            label += " " + _("(chiffré)")
        if label not in names:
            names.append(label)
    return names


def _description(cell: Cell) -> Section:
    rows = [(_(label), ", ".join(_fields(apps.get_model(name)))) for name, label in DATA_MODELS]
    protocols = [
        _("signé le %(d)s") % {"d": format_date(p.signed_on)} for p in cell.protocols.order_by("signed_on")
    ]
    rows.insert(0, (_("Cellule"), str(cell)))
    rows.insert(1, (_("Protocoles"), "; ".join(protocols) or _("aucun protocole enregistré")))
    return Section(_("Description du traitement : données enregistrées"), rows=rows)


def _minimisation() -> Section:
    return Section(
        _("Nécessité et proportionnalité : minimisation"),
        items=[
            _(
                "Ne sont jamais enregistrés : religion, opinions politiques, santé ou origine ethnique "
                "(RGPD art. 9) ; statut FSPRT ou fiche S, contenus de renseignement, éléments couverts "
                "par le secret de la défense ou de l'enquête ; copies de fichiers de police ; opinions "
                "ou jugements sur la personne ; données sur les proches au-delà du nécessaire ; aucun "
                "score, pondération, classement ni prédiction."
            ),
            _(
                "Listes fermées partout où c'est possible ; texte libre court et factuel, relu par un "
                "contrôle de formulation qui signale les opinions et le vocabulaire policier."
            ),
        ],
    )


def _retention(cell: Cell) -> tuple[Section, list[str]]:
    policy = policy_for(cell.pk)
    pending = policy_pending(cell.pk)
    todo = []
    if policy.validated_at:
        validation = _("validée par le DPO le %(d)s") % {"d": format_date(policy.validated_at)}
    else:
        validation = _("aucune politique validée : durées maximales par défaut")
    if pending:
        validation += " ; " + _("une modification attend la validation du DPO et ne s'applique pas encore")
        todo.append(_("Une modification des durées de conservation attend la validation du DPO."))
    section = Section(
        _("Nécessité et proportionnalité : durées de conservation"),
        rows=[
            (_("Signalements classés sans suite"), _("%(n)s jours") % {"n": policy.dismissed_days}),
            (_("Situations clôturées"), _("détruites après %(n)s ans") % {"n": policy.archive_years}),
            (
                _("Mineurs et jeunes majeurs"),
                _("aucune donnée au-delà de %(age)s ans") % {"age": policy.young_max_age},
            ),
            (
                _("Majeurs plus âgés"),
                _("au plus %(n)s ans après l'ouverture") % {"n": policy.adult_cap_years},
            ),
            (_("Journal d'audit"), audit_retention_statement(cell.pk)),
            (_("Politique en vigueur"), validation),
        ],
    )
    return section, todo


def _information(cell: Cell) -> tuple[Section, list[str]]:
    latest = InformationDecision.objects.filter(person=OuterRef("pk")).order_by("-decided_at", "-pk")
    statuses = (
        Person.objects.filter(cell=cell, cases__isnull=False)
        .distinct()
        .annotate(status=Subquery(latest.values("status")[:1]))
        .values_list("status", flat=True)
    )
    counts = {InformationStatus.INFORMED: 0, InformationStatus.DEFERRED: 0, None: 0}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    due = information_due(cell.pk)
    late = sum(1 for d in due if d.kind == "undecided")
    reviews = len(due) - late
    todo = []
    if late:
        todo.append(
            ngettext(
                "%(n)s personne n'a reçu aucune décision d'information dans le délai de %(d)s jours.",
                "%(n)s personnes n'ont reçu aucune décision d'information dans le délai de %(d)s jours.",
                late,
            )
            % {"n": late, "d": settings.CMER_INFORMATION_DAYS}
        )
    if reviews:
        todo.append(
            ngettext(
                "%(n)s report d'information est à réexaminer.",
                "%(n)s reports d'information sont à réexaminer.",
                reviews,
            )
            % {"n": reviews}
        )
    section = Section(
        _("Nécessité et proportionnalité : information des personnes"),
        rows=[
            (_("Personnes informées"), str(counts[InformationStatus.INFORMED])),
            (_("Information différée (RGPD art. 23)"), str(counts[InformationStatus.DEFERRED])),
            (_("Sans décision"), str(counts[None])),
            (_("Sans décision au-delà du délai"), str(late)),
            (
                _("Délai de décision"),
                _("%(n)s jours après l'ouverture de la situation") % {"n": settings.CMER_INFORMATION_DAYS},
            ),
        ],
    )
    return section, todo


def _rights(cell: Cell) -> Section:
    counts = {
        (kind, status): n
        for kind, status, n in RightsRequest.objects.filter(cell=cell)
        .values_list("kind", "status")
        .annotate(n=Count("pk"))
        .values_list("kind", "status", "n")
    }
    rows = [
        (
            str(kind.label).capitalize(),
            ", ".join(f"{counts.get((kind.value, s.value), 0)} {s.label}" for s in RightsStatus),
        )
        for kind in RightsKind
    ]
    return Section(_("Nécessité et proportionnalité : droits des personnes (demandes reçues)"), rows=rows)


def _encrypted_fields() -> list[str]:
    """Every encrypted field of case content, read from the models (the binding is the field's)."""
    return [
        f"{m._meta.verbose_name} : {f.verbose_name}"
        for m in apps.get_models()
        if m._meta.app_label in CASE_APPS
        for f in m._meta.concrete_fields
        if isinstance(f, EncryptedTextField) and _explicit(f)
    ]


def _checkpoint(now: dt.datetime) -> tuple[str, list[str]]:
    try:
        latest = checkpoints.read_latest()
    except (checkpoints.CheckpointError, OSError):
        return _("fichier de points de contrôle illisible"), [
            _("Le fichier des points de contrôle du journal d'audit est illisible.")
        ]
    if latest is None:
        return _("aucun point de contrôle"), [_("Aucun point de contrôle du journal d'audit n'a été écrit.")]
    at = dt.datetime.fromisoformat(latest.at)
    hours = int((now - at).total_seconds() // 3600)
    intact = checkpoints.check_against(latest) == ""
    text = _("dernier point de contrôle le %(d)s (il y a %(h)s h), chaîne vérifiée à cette date ; %(s)s") % {
        "d": format_datetime(at),
        "h": hours,
        "s": _("toujours présent dans le journal")
        if intact
        else _("ABSENT OU MODIFIÉ dans le journal actuel"),
    }
    todo = []
    if not intact:
        todo.append(_("Le journal d'audit ne contient plus le dernier point de contrôle : enquêter."))
    if (now - at).total_seconds() > settings.CMER_HEALTH_CHECKPOINT_MAX_AGE:
        todo.append(
            _("Aucun point de contrôle récent du journal d'audit (le dernier date du %(d)s).")
            % {"d": format_date(at)}
        )
    return text, todo


def _risks(now: dt.datetime) -> tuple[list[Section], list[str]]:
    todo: list[str] = []
    second_factor = "cmer.accounts.middleware.require_second_factor" in settings.MIDDLEWARE
    if not second_factor:
        todo.append(_("Le second facteur d'authentification n'est pas exigé."))
    https = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))
    hsts = int(getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0)
    if not https or not hsts:
        todo.append(_("La redirection HTTPS ou l'en-tête HSTS n'est pas activé."))
    derived = list(getattr(settings, "CMER_DERIVED_KEYS", []))
    if derived:
        todo.append(
            _(
                "Des clés de chiffrement ou d'audit sont dérivées de la clé secrète : fournir des clés propres."
            )
        )
    key_count = len([k for k in settings.CMER_FIELD_KEYS.split(",") if k.strip()])
    session_hours = settings.CMER_SESSION_ABSOLUTE_SECONDS // 3600
    lockout = _("après %(n)s échecs, blocage %(m)s minutes") % {
        "n": settings.AXES_FAILURE_LIMIT,
        "m": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    access = Section(
        _("Risque : accès illégitime aux données"),
        rows=[
            (_("Second facteur exigé pour tout compte"), _yes_no(second_factor)),
            (
                _("Connexion ProConnect"),
                _("activée") if settings.CMER_PROCONNECT_ENABLED else _("désactivée"),
            ),
            (_("Verrouillage des comptes"), lockout),
            (
                _("Durée des sessions"),
                _("%(i)s minutes d'inactivité, %(h)s heures au plus")
                % {"i": settings.SESSION_COOKIE_AGE // 60, "h": session_hours},
            ),
            (_("Redirection HTTPS"), _yes_no(https)),
            (
                _("HSTS"),
                _("%(n)s jours") % {"n": hsts // 86400} if hsts else _("désactivé"),
            ),
            (
                _("Cookie de session sécurisé"),
                _yes_no(bool(getattr(settings, "SESSION_COOKIE_SECURE", False))),
            ),
            (
                _("Chiffrement des champs"),
                ngettext("%(n)s clé configurée", "%(n)s clés configurées", key_count) % {"n": key_count}
                + " ; "
                + (_("clés propres") if not derived else _("clés dérivées de la clé secrète")),
            ),
            (
                _("Champs chiffrés et liés à leur enregistrement et à leur cellule"),
                ", ".join(_encrypted_fields()),
            ),
        ],
        note=_("Cloisonnement entre cellules et besoin d'en connaître appliqués à chaque lecture."),
    )
    checkpoint_text, checkpoint_todo = _checkpoint(now)
    todo += checkpoint_todo
    change = Section(
        _("Risque : modification non désirée des données"),
        rows=[
            (_("Journal d'audit chaîné"), checkpoint_text),
            (
                _("Contrôle de l'ancienneté des points de contrôle"),
                _("%(h)s heures au plus") % {"h": settings.CMER_HEALTH_CHECKPOINT_MAX_AGE // 3600},
            ),
        ],
    )
    backup_at = Heartbeat.objects.filter(name=BACKUP).values_list("at", flat=True).first()
    if backup_at is None:
        todo.append(_("Aucune sauvegarde réussie n'est enregistrée."))
    loss = Section(
        _("Risque : disparition des données"),
        rows=[
            (
                _("Dernière sauvegarde réussie"),
                format_datetime(backup_at) if backup_at else _("aucune sauvegarde enregistrée"),
            ),
        ],
    )
    return [access, change, loss], todo


def _placeholders() -> list[str]:
    return [
        _("%(label)s : valeur « à compléter » dans la configuration.") % {"label": _(label)}
        for name, label in CONTROLLER_SETTINGS
        if PLACEHOLDER_MARK in str(getattr(settings, name, "")).lower()
        or str(getattr(settings, name, "")).strip() in {"", "Commune"}
    ]


def dpia_document(cell: Cell) -> Document:
    """The cell's DPIA: description, necessity, risks with the measures in force, what is left."""
    now = timezone.now()
    retention, retention_todo = _retention(cell)
    information, information_todo = _information(cell)
    risks, risks_todo = _risks(now)
    todo = _placeholders() + retention_todo + information_todo + risks_todo
    return Document(
        title=_("Analyse d'impact relative à la protection des données (AIPD)"),
        cell=cell,
        generated_at=format_datetime(now),
        sections=[
            _controller(cell),
            _purposes(),
            _description(cell),
            _recipients(cell),
            _minimisation(),
            retention,
            information,
            _rights(cell),
            *risks,
            Section(
                _("Ce qui reste à décider"),
                items=todo or [_("Aucun point en attente dans la configuration actuelle.")],
                note=_(
                    "Vraisemblance et gravité de chaque risque : à apprécier par le responsable de "
                    "traitement et le DPO."
                ),
            ),
        ],
        slug="aipd",
    )
