// Posting to connections: one at a time with retries, and to a whole room at once.
//
// On a 410 (`GoneException`) the connection that is gone is the *target* of the post:
// aws-samples/simple-websockets-chat-app deletes the sender's item instead, so the stale
// item stays and the sender, who is very much connected, stops receiving messages. Here
// the gone targets are deleted after the broadcast, and the sender's item never is.

import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

import { elapsedMs, logJson } from './logs.mjs';
import { connectionsInRoom, removeConnections } from './store.mjs';

// LimitExceededException is what PostToConnection answers when the account's rate is
// exceeded or the target's outgoing buffer is full; the others are the SDK's generic
// throttling codes, answered by API Gateway's front door.
export const THROTTLING_ERRORS = new Set([
  'LimitExceededException',
  'ThrottlingException',
  'TooManyRequestsException',
]);

// Node's codes for a request that never reached API Gateway: sending it again cannot
// duplicate it.
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 1000;

/** @typedef {'delivered' | 'gone' | 'failed'} Delivery */

/**
 * @typedef {object} PostResult  the end of one post, after any retries
 * @property {string} connectionId
 * @property {Delivery} delivery
 * @property {number} attempts
 * @property {string | null} error
 */

/** @param {any} error */
const errorCode = (error) => String(error?.name || error?.code || 'Error');

/** @param {any} error */
function retryable(error) {
  if (CONNECTION_ERRORS.has(error?.code)) return true;
  const httpStatus = error?.$metadata?.httpStatusCode ?? 0;
  return THROTTLING_ERRORS.has(error?.name) || httpStatus >= 500;
}

/** @param {number} ms */
const pause = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * Post `data` to one connection, retrying throttling a bounded number of times with
 * exponential backoff and full jitter, so the posts of a large broadcast that were
 * throttled together do not all come back at the same moment. Never rejects.
 * @param {import('@aws-sdk/client-apigatewaymanagementapi').ApiGatewayManagementApiClient} client
 * @param {string} connectionId
 * @param {Uint8Array} data
 * @param {{maxAttempts: number, sleep?: (ms: number) => Promise<unknown>}} options
 * @returns {Promise<PostResult>}
 */
export async function postWithRetry(client, connectionId, data, { maxAttempts, sleep = pause }) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      return { connectionId, delivery: 'delivered', attempts: attempt, error: null };
    } catch (error) {
      if (/** @type {Error} */ (error).name === 'GoneException') {
        return { connectionId, delivery: 'gone', attempts: attempt, error: 'GoneException' };
      }
      if (attempt < maxAttempts && retryable(error)) {
        const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
        await sleep(Math.random() * ceiling);
        continue;
      }
      return { connectionId, delivery: 'failed', attempts: attempt, error: errorCode(error) };
    }
  }
}

/**
 * The counts of one broadcast, logged as its summary line.
 * @param {string} room
 */
function emptyResult(room) {
  return {
    room,
    recipients: 0,
    delivered: 0,
    gone: 0,
    failed: 0,
    retries: 0,
    expiredSkipped: 0,
    pages: 0,
    durationMs: 0,
    /** @type {string[]} */ goneIds: [],
    /** @type {Record<string, number>} */ errors: {},
  };
}

/** @typedef {ReturnType<typeof emptyResult>} BroadcastResult */

/**
 * @param {BroadcastResult} result
 * @param {PostResult} post
 */
function record(result, post) {
  result.retries += post.attempts - 1;
  if (post.delivery === 'delivered') {
    result.delivered += 1;
  } else if (post.delivery === 'gone') {
    result.gone += 1;
    result.goneIds.push(post.connectionId);
  } else {
    result.failed += 1;
    const code = post.error || 'unknown';
    result.errors[code] = (result.errors[code] ?? 0) + 1;
  }
}

/**
 * Post `data` to every live connection in `room`; never rejects for a failed post.
 *
 * The room is read from the index page by page while at most `maxWorkers` posts are in
 * flight, all through the one `client`. Connections that answer 410 are deleted afterwards;
 * other failures are counted and logged, and the rest of the room still gets the message.
 * @param {{table: string, indexName: string, room: string, data: Uint8Array,
 *   client: import('@aws-sdk/client-apigatewaymanagementapi').ApiGatewayManagementApiClient,
 *   maxWorkers: number, maxAttempts: number, now: number,
 *   sleep?: (ms: number) => Promise<unknown>}} request
 * @returns {Promise<BroadcastResult>}
 */
export async function broadcastToRoom({ table, indexName, room, data, client, maxWorkers, maxAttempts, now, sleep }) {
  const started = performance.now();
  const result = emptyResult(room);
  const stats = { pages: 0, expired: 0 };
  /** @type {Set<Promise<void>>} */
  const inFlight = new Set();
  try {
    for await (const connection of connectionsInRoom(table, indexName, room, now, stats)) {
      if (inFlight.size >= maxWorkers) await Promise.race(inFlight);
      result.recipients += 1;
      const post = postWithRetry(client, connection.connectionId, data, { maxAttempts, sleep }).then(
        (done) => {
          record(result, done);
          inFlight.delete(post);
        },
      );
      inFlight.add(post);
    }
  } finally {
    // Every post started ends before this returns, or throws: Lambda freezes the execution
    // environment once the handler returns, posts in flight included.
    await Promise.all(inFlight);
  }
  result.pages = stats.pages;
  result.expiredSkipped = stats.expired;
  if (result.goneIds.length) {
    try {
      await removeConnections(table, result.goneIds);
    } catch (error) {
      // The items keep their TTL, and the next broadcast will try again.
      logJson('WARNING', 'stale_cleanup_failed', {
        room,
        count: result.goneIds.length,
        error: errorCode(error),
      });
    }
  }
  result.durationMs = elapsedMs(started);
  logJson(result.failed ? 'WARNING' : 'INFO', 'broadcast', {
    room,
    recipients: result.recipients,
    delivered: result.delivered,
    gone: result.gone,
    failed: result.failed,
    retries: result.retries,
    expired_skipped: result.expiredSkipped,
    pages: result.pages,
    errors: result.errors,
    duration_ms: result.durationMs,
  });
  return result;
}
