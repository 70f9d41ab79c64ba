"""The environment of a production process started by a test: DEBUG off, explicit random keys.

Only the variables a test names on top of these change; nothing of the developer's shell leaks in.
"""

from __future__ import annotations

import os
import secrets


def production_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CMER_", "DATABASE_URL", "PYTEST", "DJANGO_"))
    }
    env.update(
        {
            "CMER_TESTING": "0",
            "CMER_SECRET_KEY": secrets.token_urlsafe(64),
            "CMER_AUDIT_KEY": secrets.token_urlsafe(48),
            "CMER_FIELD_KEYS": "k1:" + secrets.token_urlsafe(48),
            "CMER_BLIND_INDEX_KEY": secrets.token_urlsafe(48),
            "CMER_ALLOWED_HOSTS": "cmer.example.fr",
            "DJANGO_SETTINGS_MODULE": "cmer.settings",
            **extra,
        }
    )
    return env
