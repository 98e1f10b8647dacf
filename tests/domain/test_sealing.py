"""Stored tokens are encrypted, and only the same secret key opens them."""

from __future__ import annotations

import pytest

from cdmx.domain.sealing import Sealer, SealError


def test_a_sealed_token_opens_with_the_same_key_only() -> None:
    sealed = Sealer("key-one-0123456789").seal("EAAG-secret-token")
    assert "EAAG" not in sealed
    assert Sealer("key-one-0123456789").unseal(sealed) == "EAAG-secret-token"
    with pytest.raises(SealError, match="CDMX_SECRET_KEY"):
        Sealer("key-two-0123456789").unseal(sealed)
