"""Stylesheet and script tags whose integrity hash is computed from the file actually served.

django-dsfr writes the hashes of its original files, but the production storage (manifest, see
docs/deployment.md) rewrites every `url()` in the CSS it collects: the served bytes differ, the
browser refuses the stylesheet and every page renders unstyled. Hashing the served file keeps
Subresource Integrity meaningful: a file changed on disk after collectstatic is still refused.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString
from dsfr.constants import DsfrStaticAssets

register = template.Library()


def _served_bytes(path: str) -> bytes:
    """The bytes whitenoise sends for `path`: the collected (hashed) file, or the source file."""
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        with staticfiles_storage.open(staticfiles_storage.stored_name(path)) as collected:
            return collected.read()
    if settings.WHITENOISE_USE_FINDERS:
        found = finders.find(path)
        if found:
            with open(found, "rb") as source:
                return source.read()
    with staticfiles_storage.open(path) as collected:
        return collected.read()


def _compute(path: str) -> str:
    digest = hashlib.sha384(_served_bytes(path)).digest()
    return "sha384-" + base64.b64encode(digest).decode()


# Collected files do not change while the process runs (a deployment restarts it): hash once.
_cached = cache(_compute)


def integrity(path: str) -> str:
    # In development the source files are edited while the server runs: hash on every page.
    return _compute(path) if settings.DEBUG else _cached(path)


@register.simple_tag
def sri_stylesheet(path: str) -> SafeString:
    return format_html('<link rel="stylesheet" href="{}" integrity="{}">', static(path), integrity(path))


@register.simple_tag
def sri_script(path: str, nonce: str = "", module: bool = False) -> SafeString:
    # Both shapes are literal: nothing but escaped values goes into the markup.
    if module:
        shape = '<script type="module" src="{}" integrity="{}" nonce="{}"></script>'
    else:
        shape = '<script nomodule src="{}" integrity="{}" nonce="{}"></script>'
    return format_html(shape, static(path), integrity(path), nonce)


@register.simple_tag
def dsfr_css_sri() -> SafeString:
    """django-dsfr's `dsfr_css`, with hashes of the served files."""
    return format_html(
        '{}\n{}\n{}\n<meta name="theme-color" content="#000091">',
        sri_stylesheet(DsfrStaticAssets.DSFR_CSS),
        sri_stylesheet(DsfrStaticAssets.DSFR_UTILITY_CSS),
        sri_stylesheet(DsfrStaticAssets.DSFR_OVERRIDES_CSS),
    )


@register.simple_tag
def dsfr_js_sri(nonce: str = "") -> SafeString:
    """django-dsfr's `dsfr_js`, with hashes of the served files."""
    return format_html(
        "{}\n{}",
        sri_script(DsfrStaticAssets.DSFR_MODULE_JS, nonce=nonce, module=True),
        sri_script(DsfrStaticAssets.DSFR_NOMODULE_JS, nonce=nonce),
    )
