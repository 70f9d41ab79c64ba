from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    OK = "ok", _("succès")
    DENIED = "denied", _("refus")
    FAILED = "failed", _("échec")


class AuditEvent(models.Model):
    """One append-only, hash-chained entry. Holds ids and codes, never personal values.

    Actor and cell are plain integers, not foreign keys: the trail must outlive purged
    objects and must never block a purge or cascade into one.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    actor_id = models.PositiveBigIntegerField(null=True, db_index=True)
    cell_id = models.PositiveBigIntegerField(null=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.OK)
    request_id = models.CharField(max_length=32, blank=True)
    ip = models.GenericIPAddressField(null=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Set only by the per-cell redaction (audit_redact): HMAC's inner digest H(K^ipad || message),
    # so the row's hash stays checkable once its content is blanked (ADR 0008). Empty = intact;
    # a database default too, so an INSERT that does not name it (a restore) still works.
    inner_digest = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("événements d'audit")
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            # The DPO console lists one cell's events newest first (keyset on seq): 0.6 ms instead
            # of 630 ms for a first page over 1M events on SQLite (bench/bench_dpo_search.py).
            models.Index(fields=["cell_id", "seq"], name="audit_cell_seq_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditAnchor(models.Model):
    """Where the chain starts after a retention purge: its first remaining seq and that event's
    prev_hash. Append-only (triggers). `mac` is keyed like the chain, so an anchor cannot be forged
    by someone without the audit key to hide a deletion at the start of the chain.
    """

    first_seq = models.PositiveBigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    deleted = models.PositiveBigIntegerField()
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("ancre du journal d'audit")
        ordering = ["-first_seq"]

    def __str__(self) -> str:
        return f"anchor @{self.first_seq}"


class AuditPurgePermit(models.Model):
    """Exists only inside the purge transaction: lets the trigger accept deletes below `below_seq`."""

    below_seq = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return f"permit < {self.below_seq}"


class AuditRedactionPermit(models.Model):
    """Exists only inside the redaction transaction: lets the trigger accept the blanking of this
    cell's events created before `before` (and only that update)."""

    cell_id = models.PositiveBigIntegerField()
    before = models.DateTimeField()

    def __str__(self) -> str:
        return f"redaction permit cell {self.cell_id}"
