"""Tests for :mod:`wslab.local.gateway.ids`."""

from __future__ import annotations

import base64
import re

import pytest

from wslab.local.gateway.ids import is_valid_connection_id, new_id

# Ids seen on AWS (docs/apigw-websocket.md §1.2, §4.5 and the captures in tests/events/).
REAL_IDS = [
    "XDmENcnwIE0CFEQ=",
    "XDmGEE2RoE0FRdQ=",
    "R1kmxc2VNjMCFIA=",
    "BFaT_fALIAMCKug=",
    "eHrdFcnvvHcCE-w=",
    "HXT_RfBnPHcCIIg=",
    "QyUg1czHCYcCHXw=",
]


def test_new_id_has_the_aws_shape() -> None:
    """A new id is 16 URL-safe base64 characters ending in a single '='."""
    for _ in range(200):
        value = new_id()
        assert re.fullmatch(r"[A-Za-z0-9_-]{15}=", value), value
        assert len(base64.urlsafe_b64decode(value)) == 11


def test_new_ids_are_unique() -> None:
    """Ids are random enough never to repeat in practice."""
    assert len({new_id() for _ in range(5000)}) == 5000


def test_new_ids_use_the_url_safe_alphabet() -> None:
    """Never '+' or '/', which would break @connections paths."""
    joined = "".join(new_id() for _ in range(2000))
    assert "+" not in joined and "/" not in joined
    assert "-" in joined or "_" in joined


@pytest.mark.parametrize("value", REAL_IDS)
def test_real_aws_ids_are_valid(value: str) -> None:
    """Every id captured on AWS passes the shape check."""
    assert is_valid_connection_id(value)


def test_new_ids_are_valid() -> None:
    """Ids this module makes pass its own shape check."""
    assert all(is_valid_connection_id(new_id()) for _ in range(500))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "AAAA1234=",  # anonymised id in a fixture: too short
        "XDmENcnwIE0CFEQ",  # no padding
        "XDmENcnwIE0CFEQ==",  # too long
        "XDmENcnwIE0CFE==",  # 10 bytes
        "XDmENcnwIE0C+EQ=",  # standard alphabet, not URL-safe
        "XDmENcnwIE0C/EQ=",
        "XDmENcnwIE0CFER=",  # last character carries bits 11 bytes cannot set
        "XDmENcnwIE0CFE =",
        "XDmENcnwIE0CFÉQ=",
        "XDmENcnwIE0CFEQ%3D",  # still URL-encoded
    ],
)
def test_malformed_ids_are_rejected(value: str) -> None:
    """Anything but a canonical 11-byte base64url id is rejected."""
    assert not is_valid_connection_id(value)
