"""Settings for the test runner (selected in pyproject.toml): production settings, TESTING on.

The switch is explicit here rather than guessed from the imported modules, so nothing outside the
test runner can fall into test mode by accident. A subprocess started by a test inherits it unless
the test sets CMER_TESTING itself (the production-mode tests set it to 0).
"""

import os

os.environ.setdefault("CMER_TESTING", "1")

from cmer.settings import *  # noqa: F403
