// Short-lived signed tokens for the `$connect` authorizer, in exactly the format of
// lambda_src/chat/tokens.py, so a token minted by either verifies in the other: a compact
// JWT signed with HMAC-SHA256 (`HS256`), claims `sub` (the user name, 1-64 printable
// characters), `iat` and `exp` (epoch seconds). A token may live at most
// TOKEN_MAX_TTL_SECONDS: it travels in the URL's query string, where proxies and browser
// history may keep it, so it must be useless soon after.
//
// Tokens, and parts of them, are never logged and never put in an error message.

import { createHmac, timingSafeEqual } from 'node:crypto';

import { secretsManager } from './clients.mjs';

/** HMAC-SHA256 keys shorter than the hash output weaken it; 32 bytes is the floor. */
export const MIN_SECRET_BYTES = 32;
/** Tolerated difference between the clock that minted a token and Lambda's clock. */
export const CLOCK_LEEWAY_SECONDS = 30;
// Far above any real token; stops a huge query string from costing decode time.
const MAX_TOKEN_CHARS = 4096;
const HEADER = '{"alg":"HS256","typ":"JWT"}';
const SECRET_CACHE_MS = 300_000;
// Python's str.isprintable(): no Other (C*) or Separator (Z*) character but the ASCII space.
const PRINTABLE_USER = /^(?:[^\p{C}\p{Z}]| ){1,64}$/u;

/** The token is not acceptable; `reason` is a short code safe to log. */
export class TokenError extends Error {
  name = 'TokenError';

  /** @param {string} reason */
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}

/** The configured secret is too short to sign with: a deployment mistake. */
export class SecretTooShort extends Error {
  name = 'SecretTooShort';
}

/** @param {string} secret */
function keyOf(secret) {
  const key = Buffer.from(secret, 'utf8');
  if (key.length < MIN_SECRET_BYTES) {
    throw new SecretTooShort(`the token secret must be at least ${MIN_SECRET_BYTES} bytes long`);
  }
  return key;
}

/** @param {unknown} user */
const validUser = (user) => typeof user === 'string' && PRINTABLE_USER.test(user);

/** @param {unknown} value */
const epoch = (value) => (Number.isInteger(value) ? /** @type {number} */ (value) : null);

/**
 * @param {Buffer} key
 * @param {string} signingInput
 */
const sign = (key, signingInput) => createHmac('sha256', key).update(signingInput, 'ascii').digest();

// Python's json.dumps escapes every non-ASCII character as \uXXXX (lowercase hex); doing
// the same makes a token minted here byte for byte the one Python mints.
/** @param {unknown} value */
const asciiJson = (value) =>
  JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/**
 * A token for `user`, valid for `ttlSeconds` from `now` (epoch seconds, the current time).
 * @param {string} secret
 * @param {string} user
 * @param {number} [ttlSeconds]
 * @param {{now?: number}} [options]
 */
export function mintToken(secret, user, ttlSeconds = 300, { now } = {}) {
  if (!validUser(user)) throw new RangeError('user must be 1 to 64 printable characters');
  if (!(ttlSeconds > 0)) throw new RangeError('ttlSeconds must be positive');
  const issued = Math.trunc(now ?? Date.now() / 1000);
  const header = Buffer.from(HEADER).toString('base64url');
  const claims = { sub: user, iat: issued, exp: issued + ttlSeconds };
  const payload = Buffer.from(asciiJson(claims)).toString('base64url');
  const signature = sign(keyOf(secret), `${header}.${payload}`).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

/**
 * @param {string} part
 * @returns {unknown}
 */
function decodeJson(part) {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('malformed');
  }
}

/** @param {unknown} value */
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The user a valid token was minted for; `TokenError` with a reason otherwise.
 * @param {string} secret
 * @param {string} token
 * @param {{maxTtlSeconds: number, now?: number}} options
 * @returns {string}
 */
export function verifyToken(secret, token, { maxTtlSeconds, now }) {
  const key = keyOf(secret);
  if (!token || token.length > MAX_TOKEN_CHARS) throw new TokenError('malformed');
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('malformed');
  const [headerPart, payloadPart, signaturePart] = parts;
  const header = decodeJson(headerPart);
  // The algorithm is fixed, not taken from the token: a token cannot talk the verifier into
  // "none" or any other algorithm.
  if (!isObject(header) || /** @type {any} */ (header).alg !== 'HS256') {
    throw new TokenError('unsupported_algorithm');
  }
  const signature = Buffer.from(signaturePart, 'base64url');
  const expected = sign(key, `${headerPart}.${payloadPart}`);
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw new TokenError('bad_signature');
  }
  const claims = decodeJson(payloadPart);
  if (!isObject(claims)) throw new TokenError('malformed');
  const { sub: user, iat, exp } = /** @type {Record<string, unknown>} */ (claims);
  const issued = epoch(iat);
  const expires = epoch(exp);
  if (issued === null || expires === null) throw new TokenError('missing_times');
  if (!validUser(user)) throw new TokenError('invalid_subject');
  const current = now ?? Date.now() / 1000;
  if (expires - issued > maxTtlSeconds) throw new TokenError('lifetime_too_long');
  if (issued > current + CLOCK_LEEWAY_SECONDS) throw new TokenError('not_yet_valid');
  if (current >= expires + CLOCK_LEEWAY_SECONDS) throw new TokenError('expired');
  return /** @type {string} */ (user);
}

/** @type {{arn: string, at: number, value: string} | null} */
let cachedSecret = null;

/**
 * The signing secret: from Secrets Manager when TOKEN_SECRET_ARN is set, else TOKEN_SECRET;
 * null when neither is configured. A secret read from Secrets Manager is kept for five
 * minutes: one call per five minutes instead of one per connection, and a rotated secret
 * is in use within five minutes.
 * @param {import('./config.mjs').Settings} settings
 * @returns {Promise<string | null>}
 */
export async function resolveSecret(settings) {
  if (settings.tokenSecretArn) {
    const current = performance.now();
    if (
      cachedSecret?.arn === settings.tokenSecretArn &&
      current - cachedSecret.at < SECRET_CACHE_MS
    ) {
      return cachedSecret.value;
    }
    const { client, GetSecretValueCommand } = await secretsManager();
    const answer = await client.send(new GetSecretValueCommand({ SecretId: settings.tokenSecretArn }));
    const value = String(answer.SecretString);
    cachedSecret = { arn: settings.tokenSecretArn, at: current, value };
    return value;
  }
  return settings.tokenSecret;
}
