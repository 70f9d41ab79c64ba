"""The DPIA (AIPD) is generated from the live configuration and state: change one, the text changes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cmer.audit.checkpoints import write_checkpoint
from cmer.cases.information import information_decide
from cmer.cases.models import InformationStatus
from cmer.core.health import BACKUP, beat
from cmer.privacy.models import RetentionPolicy
from tests.factories import make_case, make_person
from tests.factories_privacy import make_rights_request
from tests.personas import persona_client
from tests.test_pdf import pdf_text

pytestmark = pytest.mark.django_db


def section(text: str, title: str) -> str:
    """The Markdown section under `## title`, up to the next one."""
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def dpia_md(client) -> str:
    response = client.get(reverse("privacy:dpia_md"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    return response.content.decode()


TODO = "Ce qui reste à décider"
ACCESS = "Risque : accès illégitime aux données"


@override_settings(
    CMER_CONTROLLER="Commune de Testville",
    CMER_CONTROLLER_ADDRESS="1 place de la Mairie",
    CMER_DPO_CONTACT="dpo@testville.example",
    CMER_HOST="Hébergeur public",
)
def test_dpia_follows_settings_retention_information_and_rights(world, tmp_path):
    dpo = persona_client(world, "dpo")
    with override_settings(
        CMER_PROCONNECT_ENABLED=True, CMER_AUDIT_CHECKPOINT_PATH=str(tmp_path / "none.jsonl")
    ):
        before = dpia_md(dpo)
    # What the measures say comes from the settings in force.
    with override_settings(
        CMER_PROCONNECT_ENABLED=False,
        AXES_FAILURE_LIMIT=7,
        SESSION_COOKIE_AGE=600,
        CMER_AUDIT_CHECKPOINT_PATH=str(tmp_path / "none.jsonl"),
    ):
        changed = dpia_md(dpo)
    access_before, access_after = section(before, ACCESS), section(changed, ACCESS)
    assert "| Connexion ProConnect | activée |" in access_before
    assert "| Connexion ProConnect | désactivée |" in access_after
    assert "après 5 échecs" in access_before and "après 7 échecs" in access_after
    assert "15 minutes d'inactivité" in access_before and "10 minutes d'inactivité" in access_after
    assert "| Second facteur exigé pour tout compte | oui |" in access_before
    # Every encrypted field is listed as bound to its record, from the models themselves.
    assert "nom (chiffré)" in section(before, "Description du traitement : données enregistrées").lower()
    todo = section(before, TODO)
    assert "Aucun point de contrôle du journal d'audit" in todo
    assert "Aucune sauvegarde réussie" in todo
    assert "à compléter" not in todo and "Une modification des durées" not in todo

    # Retention: a validated policy shows its durations; a further change awaits the DPO.
    RetentionPolicy.objects.create(cell=world.a.cell, dismissed_days=45, archive_years=2)
    dpo.post(reverse("privacy:retention_validate"))
    RetentionPolicy.objects.filter(cell=world.a.cell).update(dismissed_days=30, validated_at=None)
    # Information: one person informed, one without decision past the deadline.
    informed = make_case(world.a, person=make_person(world.a.cell)).person
    information_decide(
        person=informed,
        status=InformationStatus.INFORMED,
        informed_on=timezone.localdate(),
        method="letter",
        by=world.a.members["dpo"],
    )
    late = make_case(world.a, person=make_person(world.a.cell, first_name="Sam"))
    type(late).objects.filter(pk=late.pk).update(opened_at=timezone.now() - dt.timedelta(days=60))
    make_rights_request(world.a, kind="erasure")
    beat(BACKUP)
    with override_settings(CMER_AUDIT_CHECKPOINT_PATH=str(tmp_path / "none.jsonl")):
        after = dpia_md(dpo)
    retention = section(after, "Nécessité et proportionnalité : durées de conservation")
    assert "45 jours" in retention and "30 jours" not in retention and "2 ans" in retention
    assert "attend la validation du DPO" in retention
    todo = section(after, TODO)
    assert "Une modification des durées de conservation attend la validation du DPO." in todo
    assert "1 personne n'a reçu aucune décision d'information dans le délai de 30 jours." in todo
    assert "Aucune sauvegarde réussie" not in todo
    information = section(after, "Nécessité et proportionnalité : information des personnes")
    assert "| Personnes informées | 1 |" in information
    assert "| Sans décision au-delà du délai | 1 |" in information
    rights = section(after, "Nécessité et proportionnalité : droits des personnes (demandes reçues)")
    assert "| Droit à l'effacement (art. 17) | 1 reçue, 0 en cours d'instruction, 0 close |" in rights
    # Counts and descriptions, never a person, a reference or another cell.
    for leak in ("Sam", late.reference, "COUR-2026-001", world.b.cell.name):
        assert leak not in after
    assert not re.search(r"\d{4}-\d{2}-\d{2}", after)


def test_placeholder_controller_and_checkpoint_are_read_from_state_and_pdf_says_it(world, tmp_path):
    dpo = persona_client(world, "dpo")
    with override_settings(CMER_CONTROLLER="Responsable (à compléter)"):
        todo = section(dpia_md(dpo), TODO)
        pdf = dpo.get(reverse("privacy:dpia_pdf")).content
    assert "Responsable du traitement : valeur « à compléter » dans la configuration." in todo
    text = " ".join(pdf_text(pdf).split())
    assert "Ce qui reste à décider" in text and "Risque : disparition des données" in text
    assert re.search(r"généré le \d{1,2}(er)? [a-zéû]+ \d{4} à \d{1,2} h \d{2}", text)
    assert "Responsable du traitement : valeur « à compléter »" in text
    # A fresh checkpoint of the verified chain replaces the « no checkpoint » item.
    path = tmp_path / "checkpoints.jsonl"
    write_checkpoint(path)
    with override_settings(CMER_CONTROLLER="Commune de Testville", CMER_AUDIT_CHECKPOINT_PATH=str(path)):
        text = dpia_md(dpo)
    assert "Responsable du traitement : valeur" not in section(text, TODO)
    assert "point de contrôle" not in section(text, TODO)
    change = section(text, "Risque : modification non désirée des données")
    assert "chaîne vérifiée à cette date ; toujours présent dans le journal" in change
