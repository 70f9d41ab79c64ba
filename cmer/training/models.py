"""The indicator catalogue (versioned data). Sessions and certifications come with the training issue."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CatalogueStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    APPROVED = "approved", _("approuvée")
    SUPERSEDED = "superseded", _("remplacée")


class CatalogueVersionQuerySet(models.QuerySet["CatalogueVersion"]):
    def current(self) -> CatalogueVersion | None:
        return self.filter(status=CatalogueStatus.APPROVED).order_by("-number").first()


class CatalogueVersion(models.Model):
    """One version of the catalogue. Observations point to indicators of the version they used."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(max_length=12, choices=CatalogueStatus.choices, default=CatalogueStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CatalogueVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("version du catalogue")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Catalogue v{self.number} ({self.get_status_display()})"


class Domain(models.Model):
    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="domains")
    code = models.CharField(max_length=20)
    name = models.CharField(_("domaine"), max_length=120)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="domain_code_per_version")]

    def __str__(self) -> str:
        return self.name


class Signal(models.TextChoices):
    STRONG = "strong", _("signal fort")
    WEAK = "weak", _("signal faible")
    CONTEXT = "context", _("élément de contexte")


class Indicator(models.Model):
    """An observable behaviour. No weight, no score: observations are counted as facts only."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="indicators")
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(max_length=20)
    label = models.CharField(_("intitulé"), max_length=200)
    signal = models.CharField(_("nature"), max_length=8, choices=Signal.choices)
    description = models.TextField(_("description"), max_length=1000)
    examples = models.TextField(_("exemples"), max_length=1000, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "domain__order", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="indicator_code_per_version")]

    def __str__(self) -> str:
        return self.label


class Caveat(models.Model):
    """Official caveats shown wherever indicators are chosen."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="caveats")
    text = models.CharField(_("mise en garde"), max_length=300)
    source = models.CharField(_("source"), max_length=120, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "order"]

    def __str__(self) -> str:
        return self.text
