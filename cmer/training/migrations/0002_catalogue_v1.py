"""Data migration: the approved catalogue v1 of the indicators.

The data is frozen here, as literals, on purpose: a migration must give the same database whatever
the live code becomes, so it imports nothing from `cmer`. Never edit the data below; a new catalogue
version is written through the application (draft, approval) or by a new data migration.
`cmer/training/catalogue_v1.py` reads it from here for the tests that reload or inspect v1.

Paraphrased from public SG-CIPD, DGSI and Éducation nationale material (docs/indicator-catalogue.md). No item
names a religion, a practice, an origin, a nationality, a family structure, a health condition or a
political opinion: items describe observable behaviour only, and carry no weight.
"""

from django.db import migrations
from django.utils import timezone

VERSION_NUMBER = 1

# (code, name, description)
DOMAINS: list[tuple[str, str, str]] = [
    (
        "RUP",
        "Ruptures",
        "Comportements qui rompent avec l'environnement habituel de la personne.",
    ),
    (
        "ENV",
        "Environnement personnel",
        "Fragilités de l'environnement de la personne. Éléments de contexte : jamais suffisants seuls.",
    ),
    (
        "DIS",
        "Théories et discours",
        "Propos tenus ou relayés par la personne.",
    ),
    (
        "TEC",
        "Techniques",
        "Modes de socialisation et moyens utilisés.",
    ),
]

# (domain code, indicator code, signal, label, description, examples)
INDICATORS: list[tuple[str, str, str, str, str, str]] = [
    # Ruptures: strong signals
    (
        "RUP",
        "RUP-S1",
        "strong",
        "Rejet brutal des habitudes quotidiennes",
        "Abandon soudain et global des habitudes de vie antérieures, sans explication apparente.",
        "Cesse du jour au lendemain toutes ses activités habituelles ; "
        "refuse désormais les lieux et moments partagés auparavant.",
    ),
    (
        "RUP",
        "RUP-S2",
        "strong",
        "Rupture avec les proches",
        "Éloignement marqué de la famille et des anciens amis, rejet de la vie familiale, "
        "absences longues et inexpliquées du domicile.",
        "Ne rentre plus au domicile plusieurs nuits sans explication ; coupe tout contact avec ses amis d'enfance.",
    ),
    (
        "RUP",
        "RUP-S3",
        "strong",
        "Changement soudain des centres d'intérêt",
        "Abandon brusque des centres d'intérêt antérieurs au profit d'un intérêt exclusif et nouveau.",
        "Abandonne sa passion de longue date et ne parle plus que d'un seul sujet.",
    ),
    (
        "RUP",
        "RUP-S4",
        "strong",
        "Intérêt soudain pour les armes",
        "Recherche, discussion ou acquisition d'armes apparue récemment.",
        "Se renseigne sur la manière de se procurer une arme ; montre des photos d'armes à ses camarades.",
    ),
    (
        "RUP",
        "RUP-S5",
        "strong",
        "Pratique intensive d'un sport de combat associée à d'autres signes",
        "Entraînement intensif et nouveau à un sport de combat, relevé seulement s'il s'ajoute à d'autres signes.",
        "Commence un entraînement quotidien au combat en même temps qu'une rupture avec ses proches.",
    ),
    (
        "RUP",
        "RUP-S6",
        "strong",
        "Séparation exacerbée des hommes et des femmes, attitude discriminatoire envers les femmes",
        "Refus de s'adresser aux femmes ou de travailler avec elles, propos ou actes discriminatoires à leur égard.",
        "Refuse de serrer la main ou de répondre à une enseignante ; exige d'être reçu par un homme.",
    ),
    # Ruptures: weak signals
    (
        "RUP",
        "RUP-W1",
        "weak",
        "Rupture avec l'école ou la formation",
        "Contestation répétée d'enseignements, absences, abandon des activités périscolaires, décrochage soudain.",
        "Conteste systématiquement les cours d'histoire ou d'éducation civique ; cesse brutalement de venir en cours.",
    ),
    (
        "RUP",
        "RUP-W2",
        "weak",
        "Changements d'humeur, exaltation, perte d'affect",
        "Variations d'humeur inhabituelles, exaltation ou au contraire froideur affective nouvelle.",
        "Passe en quelques semaines d'un comportement jovial à une indifférence totale envers ses proches.",
    ),
    (
        "RUP",
        "RUP-W3",
        "weak",
        "Négligence des soins et de l'hygiène",
        "Abandon récent des soins personnels, sans cause connue.",
        "Se présente plusieurs jours de suite dans une tenue négligée alors que ce n'était pas le cas.",
    ),
    (
        "RUP",
        "RUP-W4",
        "weak",
        "Dépenses inhabituelles dans un domaine",
        "Dépenses nouvelles et concentrées, sans rapport avec les habitudes antérieures.",
        "Dépense l'intégralité de ses ressources en matériel de survie.",
    ),
    (
        "RUP",
        "RUP-W5",
        "weak",
        "Collecte de fonds pour des causes présentées comme victimes",
        "Sollicitation d'argent auprès de l'entourage pour des causes présentées comme victimes.",
        "Organise des collectes répétées auprès de ses camarades sans pouvoir dire à qui l'argent est destiné.",
    ),
    (
        "RUP",
        "RUP-W6",
        "weak",
        "Privation de sommeil",
        "Rythme de sommeil fortement réduit et nouveau.",
        "Dit passer ses nuits en ligne et arrive épuisé chaque matin.",
    ),
    # Environnement personnel: context only
    (
        "ENV",
        "ENV-C1",
        "context",
        "Vécu d'échec ou d'injustice",
        "Expérience récente d'échec ou sentiment d'injustice exprimé. Élément de contexte, jamais suffisant seul.",
        "Exclusion d'une formation vécue comme injuste ; licenciement récent.",
    ),
    (
        "ENV",
        "ENV-C2",
        "context",
        "Fort besoin de reconnaissance identitaire",
        "Recherche insistante d'appartenance et de reconnaissance. Élément de contexte, jamais suffisant seul.",
        "Dit chercher « une famille » ou « un groupe qui le comprend ».",
    ),
    (
        "ENV",
        "ENV-C3",
        "context",
        "Isolement",
        "Isolement social marqué ou croissant. Élément de contexte, jamais suffisant seul.",
        "Ne fréquente plus personne en dehors d'échanges en ligne.",
    ),
    # Théories et discours
    (
        "DIS",
        "DIS-S1",
        "strong",
        "Discours antisémite ou eschatologique",
        "Propos antisémites ou annonçant la « fin des temps ».",
        "Affirme à plusieurs reprises que « la fin des temps est proche » ; tient des propos antisémites en classe.",
    ),
    (
        "DIS",
        "DIS-W1",
        "weak",
        "Théories du complot ou victimaires",
        "Adhésion affirmée à des théories du complot ou à un discours de victimisation généralisée.",
        "Explique que tous les médias mentent sur un événement et relaie des vidéos complotistes.",
    ),
    (
        "DIS",
        "DIS-W2",
        "weak",
        "Propos antisociaux virulents, rejet de l'autorité et de la vie collective",
        "Propos virulents contre la société, refus de l'autorité et des règles de vie en commun.",
        "Refuse toute consigne d'un encadrant en contestant sa légitimité ; appelle à rompre avec la société.",
    ),
    # Techniques
    (
        "TEC",
        "TEC-S1",
        "strong",
        "Consultation ou partage de sites et réseaux extrémistes violents",
        "Consultation ou diffusion de contenus extrémistes violents.",
        "Partage des vidéos de propagande violente dans un groupe de discussion.",
    ),
    (
        "TEC",
        "TEC-S2",
        "strong",
        "Nouveaux contacts avec des personnes connues pour promouvoir la violence",
        "Relations nouvelles avec des personnes connues pour promouvoir la violence.",
        "Est vu régulièrement avec une personne connue pour des appels à la violence.",
    ),
    (
        "TEC",
        "TEC-W1",
        "weak",
        "Changement ou dissimulation des moyens de communication",
        "Changements fréquents de téléphone ou de comptes, usage nouveau de moyens cachés.",
        "Change de numéro plusieurs fois en un mois ; refuse désormais de montrer son téléphone.",
    ),
]

# (text, source)
CAVEATS: list[tuple[str, str]] = [
    (
        "Le processus de radicalisation ne peut être caractérisé que s'il repose sur un faisceau d'indicateurs.",
        "SG-CIPD",
    ),
    (
        "Un seul indice ne suffit pas […] et tous les indices n'ont pas la même valeur.",
        "SG-CIPD",
    ),
    (
        "Pris isolément, aucun des changements de comportement ne signifie forcément une radicalisation en cours.",
        "DGSI",
    ),
    ("La conversion n'est pas, en soi, un signe de radicalisation.", ""),
    (
        "La pratique religieuse, l'apparence, la tenue vestimentaire ou l'alimentation liées à une croyance "
        "ne sont pas, en elles-mêmes, des indicateurs.",
        "",
    ),
]


def load(CatalogueVersion, Domain, Indicator, Caveat):
    """Create version 1, approved, unless it already exists (idempotent, so tests can reload it)."""
    if CatalogueVersion.objects.filter(number=VERSION_NUMBER).exists():
        return
    version = CatalogueVersion.objects.create(
        number=VERSION_NUMBER, status="approved", approved_at=timezone.now()
    )
    domains = {}
    for order, (code, name, description) in enumerate(DOMAINS):
        domains[code] = Domain.objects.create(
            version=version, code=code, name=name, description=description, order=order
        )
    for order, (domain, code, signal, label, description, examples) in enumerate(INDICATORS):
        Indicator.objects.create(
            version=version,
            domain=domains[domain],
            code=code,
            signal=signal,
            label=label,
            description=description,
            examples=examples,
            order=order,
        )
    for order, (text, source) in enumerate(CAVEATS):
        Caveat.objects.create(version=version, text=text, source=source, order=order)


def forwards(apps, schema_editor):
    load(
        apps.get_model("training", "CatalogueVersion"),
        apps.get_model("training", "Domain"),
        apps.get_model("training", "Indicator"),
        apps.get_model("training", "Caveat"),
    )


def backwards(apps, schema_editor):
    apps.get_model("training", "CatalogueVersion").objects.filter(number=VERSION_NUMBER).delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
