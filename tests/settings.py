"""Settings for the test runner (selected in pyproject.toml): production settings, TESTING on.

The switch is explicit here rather than guessed from the imported modules, so nothing outside the
test runner can fall into test mode by accident. A subprocess started by a test inherits it unless
the test sets CMER_TESTING itself (the production-mode tests set it to 0).
"""

import os

os.environ.setdefault("CMER_TESTING", "1")
# ProConnect on, so that its URLs are in the permission matrix and tests/test_proconnect.py can
# run it against the local provider (tests/oidc_provider.py points the endpoints at it). The
# issuer below answers nothing (port 9, discard): any test that does not start the provider sees
# ProConnect as down.
os.environ.setdefault("CMER_PROCONNECT_ENABLED", "1")
os.environ.setdefault("CMER_PROCONNECT_ISSUER", "http://127.0.0.1:9")
os.environ.setdefault("CMER_PROCONNECT_CLIENT_ID", "cmer-test")
os.environ.setdefault("CMER_PROCONNECT_CLIENT_SECRET", "cmer-test-secret-0123456789abcdef0123456789")

from cmer.settings import *  # noqa: F403

# Same algorithm and code path as production, cheap work factors (tests/hashers.py).
PASSWORD_HASHERS = ["tests.hashers.CheapArgon2PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405

# PostgreSQL: the test databases are thrown away, so their commits (migrations, transactional
# tests) need not wait for the disk. Set per connection, the server's configuration is untouched.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405
