"""Argon2 at its cheapest parameters, for the test runner only (tests/settings.py).

Production's Argon2 costs about a quarter of a CPU second per password check on purpose; the
tests sign in through the real views dozens of times. The algorithm, the hash format and
Django's code path stay the same: only the work factors are lowered.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64  # KiB
    parallelism = 1
