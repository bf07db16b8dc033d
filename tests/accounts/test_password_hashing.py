"""Passwords are hashed with argon2's strong parameters wherever real people sign in; only the
test suite (MEETUP_ENV=test) hashes cheaply, so thousands of sign-ups run quickly."""

from __future__ import annotations

import msgspec
import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from meetup import settings as app_settings
from meetup.accounts import service


@pytest.mark.parametrize("env", ["prod", "dev"])
async def test_production_and_development_hash_with_argon2s_strong_parameters(settings, env):
    app_settings.use(msgspec.structs.replace(settings, env=env))
    strong = PasswordHasher()

    stored = await service.hash_password("correct horse battery")

    assert stored.startswith(f"$argon2id$v=19$m={strong.memory_cost},t={strong.time_cost},p={strong.parallelism}$")
    assert not strong.check_needs_rehash(stored)
    assert strong.verify(stored, "correct horse battery")


async def test_the_test_suite_hashes_cheaply_and_still_tells_a_wrong_password(settings):
    stored = await service.hash_password("correct horse battery")

    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert PasswordHasher().verify(stored, "correct horse battery")
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(stored, "wrong horse battery")
