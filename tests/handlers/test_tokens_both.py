"""The authorizer's tokens, one format in both reference implementations: for the same
secret, user and time, ``chat.tokens.mint_token`` (Python) and ``mintToken`` of
``lambda_src/chat-nodejs/tokens.mjs`` give the same token, byte for byte, and each
implementation verifies the other's, or refuses it for the same reason."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from chat.tokens import TokenError, mint_token, verify_token

from tests.support import scaled

TOKENS = Path(__file__).resolve().parents[2] / "lambda_src" / "chat-nodejs" / "tokens.mjs"
SECRET = "a-test-secret-of-at-least-32-bytes!!"
NOW = 1_700_000_000
USERS = ["alice", "小明", "Мария", "Ana María", "emoji \U0001f642"]


def _node(calls: list[dict[str, Any]]) -> list[Any]:
    """Run ``mint``/``verify`` calls with the Node.js module; each answer or error reason."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the Node.js handlers cannot be checked")
    script = f"""
        import {{ mintToken, verifyToken }} from {json.dumps(TOKENS.as_uri())};
        const calls = JSON.parse(process.argv[1]);
        const answers = calls.map((call) => {{
          try {{
            return call.mint
              ? mintToken(call.secret, call.mint, 300, {{ now: call.now }})
              : verifyToken(call.secret, call.verify, {{ maxTtlSeconds: 900, now: call.now }});
          }} catch (error) {{ return {{ reason: error.reason }}; }}
        }});
        process.stdout.write(JSON.stringify(answers));
    """
    done = subprocess.run(
        [node, "--input-type=module", "-e", script, json.dumps(calls)],
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=True,
    )
    answers: list[Any] = json.loads(done.stdout)
    return answers


def test_both_mint_the_same_token() -> None:
    minted = _node([{"secret": SECRET, "mint": user, "now": NOW} for user in USERS])
    assert minted == [mint_token(SECRET, user, 300, now=NOW) for user in USERS]


def test_each_verifies_the_other() -> None:
    python_tokens = [mint_token(SECRET, user, 300, now=NOW) for user in USERS]
    verified = _node(
        [{"secret": SECRET, "verify": token, "now": NOW + 5} for token in python_tokens]
    )
    assert verified == USERS
    node_tokens = _node([{"secret": SECRET, "mint": user, "now": NOW} for user in USERS])
    assert [verify_token(SECRET, t, max_ttl_seconds=900, now=NOW + 5) for t in node_tokens] == USERS


def test_both_refuse_for_the_same_reasons() -> None:
    token = mint_token(SECRET, "alice", 300, now=NOW)
    header, payload, signature = token.split(".")
    cases = [
        ("another-secret-of-at-least-32-bytes!", token, NOW),  # bad_signature
        (SECRET, token, NOW + 400),  # expired
        (SECRET, token, NOW - 100),  # not_yet_valid
        (SECRET, f"{header}.{payload}", NOW),  # malformed
        (SECRET, f"{header}.{payload}.{signature[:-2]}AA", NOW),  # bad_signature
    ]
    expected = []
    for secret, candidate, now in cases:
        with pytest.raises(TokenError) as refused:
            verify_token(secret, candidate, max_ttl_seconds=900, now=now)
        expected.append({"reason": refused.value.reason})
    answers = _node([{"secret": s, "verify": t, "now": n} for s, t, n in cases])
    assert answers == expected
