// Unit tests of tokens.mjs: `node --test` from lambda_src/chat-nodejs, nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TokenError, mintToken, verifyToken } from '../tokens.mjs';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const NOW = 1_700_000_000;

/** @param {() => unknown} call */
const reason = (call) => {
  try {
    call();
  } catch (error) {
    assert.ok(error instanceof TokenError);
    return error.reason;
  }
  return null;
};

test('a minted token verifies as its user, of any script', () => {
  for (const user of ['alice', '小明', 'Мария', 'Ana María']) {
    const token = mintToken(SECRET, user, 300, { now: NOW });
    assert.equal(verifyToken(SECRET, token, { maxTtlSeconds: 900, now: NOW + 10 }), user);
  }
});

test('the token is the one the Python handlers mint for the same claims', () => {
  // chat.tokens.mint_token(SECRET, "小明", 300, now=1700000000), computed with Python.
  const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
  const payload = Buffer.from(
    '{"sub":"\\u5c0f\\u660e","iat":1700000000,"exp":1700000300}',
  ).toString('base64url');
  assert.ok(mintToken(SECRET, '小明', 300, { now: NOW }).startsWith(`${header}.${payload}.`));
});

test('forged, altered, expired and too long-lived tokens are refused with a reason', () => {
  const token = mintToken(SECRET, 'alice', 300, { now: NOW });
  const options = { maxTtlSeconds: 900, now: NOW };
  assert.equal(reason(() => verifyToken('another-secret-of-at-least-32-bytes', token, options)), 'bad_signature');
  const [header, , signature] = token.split('.');
  const claims = Buffer.from(JSON.stringify({ sub: 'admin', iat: NOW, exp: NOW + 60 })).toString('base64url');
  assert.equal(reason(() => verifyToken(SECRET, `${header}.${claims}.${signature}`, options)), 'bad_signature');
  assert.equal(reason(() => verifyToken(SECRET, token, { ...options, now: NOW + 400 })), 'expired');
  assert.equal(reason(() => verifyToken(SECRET, token, { ...options, maxTtlSeconds: 60 })), 'lifetime_too_long');
  assert.equal(reason(() => verifyToken(SECRET, 'not.a-token', options)), 'malformed');
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${claims}.`;
  assert.equal(reason(() => verifyToken(SECRET, none, options)), 'unsupported_algorithm');
});

test('user names with invisible characters cannot be minted', () => {
  assert.throws(() => mintToken(SECRET, 'zero\u200bwidth'), RangeError);
  assert.throws(() => mintToken(SECRET, ''), RangeError);
});
