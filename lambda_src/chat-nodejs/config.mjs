// Settings read from the function's environment variables: the same variables, defaults
// and bounds as the Python handlers (lambda_src/README.md lists them). Values are checked
// when read, so a bad deployment fails on its first invocation with a message naming the
// variable instead of misbehaving quietly later.

/** API Gateway closes every WebSocket connection after two hours, whatever happens. */
export const API_GATEWAY_CONNECTION_LIMIT_SECONDS = 2 * 60 * 60;

// PostToConnection refuses payloads over 128 KB; a text this size still fits in one
// envelope with room to spare.
const MAX_MESSAGE_BYTES_CEILING = 64 * 1024;

/** An environment variable holds a value the handlers cannot use. */
export class ConfigError extends Error {
  name = 'ConfigError';
}

/**
 * @typedef {object} Settings
 * @property {string} connectionsTable
 * @property {string} roomIndex
 * @property {string} historyTable
 * @property {string} defaultRoom
 * @property {number} connectionTtlSeconds
 * @property {number} historyLimit
 * @property {number} historyKeep
 * @property {number} historyTtlSeconds
 * @property {number} maxMessageBytes
 * @property {number} fanoutMaxWorkers
 * @property {number} postMaxAttempts
 * @property {Set<string>} allowedOrigins
 * @property {string | null} tokenSecret
 * @property {string | null} tokenSecretArn
 * @property {number} tokenMaxTtlSeconds
 */

/**
 * @param {Record<string, string | undefined>} env
 * @param {string} name
 * @param {number} fallback
 * @param {number} low
 * @param {number} high
 */
function integer(env, name, fallback, low, high) {
  const raw = (env[name] ?? '').trim();
  if (!raw) return fallback;
  if (!/^[+-]?\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got '${raw}'`);
  const value = Number(raw);
  if (value < low || value > high) {
    throw new ConfigError(`${name} must be between ${low} and ${high}, got ${value}`);
  }
  return value;
}

/**
 * @param {Record<string, string | undefined>} env
 * @param {string} name
 * @param {string} fallback
 */
const text = (env, name, fallback) => (env[name] ?? '').trim() || fallback;

/**
 * @param {Record<string, string | undefined>} env
 * @param {string} name
 */
const optional = (env, name) => (env[name] ?? '').trim() || null;

/**
 * Read the settings from `env` (the process environment by default), on every invocation:
 * it costs microseconds, and a changed configuration is never served stale.
 * @param {Record<string, string | undefined>} [env]
 * @returns {Settings}
 */
export function loadSettings(env = process.env) {
  const allowedOrigins = new Set(
    (env.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  );
  const historyLimit = integer(env, 'HISTORY_LIMIT', 20, 1, 100);
  // Kept for `history` requests: a client that missed a message fetches it from here.
  const historyKeep = integer(env, 'HISTORY_KEEP', 100, 1, 10_000);
  if (historyKeep < historyLimit) {
    throw new ConfigError(
      `HISTORY_KEEP (${historyKeep}) must be at least HISTORY_LIMIT (${historyLimit})`,
    );
  }
  return {
    connectionsTable: text(env, 'CONNECTIONS_TABLE', 'wslab-connections'),
    roomIndex: text(env, 'ROOM_INDEX', 'roomId-index'),
    historyTable: text(env, 'HISTORY_TABLE', 'wslab-history'),
    defaultRoom: text(env, 'DEFAULT_ROOM', 'lobby'),
    // A TTL shorter than API Gateway's own limit would hide live connections from fan-out.
    connectionTtlSeconds: integer(
      env,
      'CONNECTION_TTL_SECONDS',
      API_GATEWAY_CONNECTION_LIMIT_SECONDS + 15 * 60,
      API_GATEWAY_CONNECTION_LIMIT_SECONDS,
      7 * 24 * 60 * 60,
    ),
    historyLimit,
    historyKeep,
    historyTtlSeconds: integer(env, 'HISTORY_TTL_SECONDS', 24 * 60 * 60, 60, 365 * 24 * 60 * 60),
    maxMessageBytes: integer(env, 'MAX_MESSAGE_BYTES', 4096, 1, MAX_MESSAGE_BYTES_CEILING),
    fanoutMaxWorkers: integer(env, 'FANOUT_MAX_WORKERS', 16, 1, 128),
    postMaxAttempts: integer(env, 'POST_MAX_ATTEMPTS', 3, 1, 10),
    allowedOrigins,
    tokenSecret: optional(env, 'TOKEN_SECRET'),
    tokenSecretArn: optional(env, 'TOKEN_SECRET_ARN'),
    tokenMaxTtlSeconds: integer(env, 'TOKEN_MAX_TTL_SECONDS', 15 * 60, 1, 60 * 60),
  };
}
