// Lambda entry points, one per route, plus the authorizer. chat.mjs exports them under the
// route table's names. Each handler reads its event, calls the small functions of the other
// modules, and writes one JSON log line. Bad input is answered with an error to the sender;
// an unexpected failure is logged and thrown again, so that Lambda counts it as an error
// and API Gateway tells the client "Internal server error".

import { createHash } from 'node:crypto';

import { managementApi } from './clients.mjs';
import { loadSettings } from './config.mjs';
import { AuthorizerEvent, WebSocketEvent } from './events.mjs';
import { broadcastToRoom, postWithRetry } from './fanout.mjs';
import { appendMessage, fitToSize, lastSequence, messagesSince, recentMessages } from './history.mjs';
import { elapsedMs, logJson } from './logs.mjs';
import {
  encode,
  errorPayload,
  historyPayload,
  iamPolicy,
  joinedPayload,
  status,
  utcTimestamp,
} from './responses.mjs';
import { findConnection, isExpired, moveConnection, registerConnection, removeConnection } from './store.mjs';
import { SecretTooShort, TokenError, resolveSecret, verifyToken } from './tokens.mjs';
import {
  BadRequest,
  ROUTED_ACTIONS,
  parseBody,
  validateHistoryRequest,
  validateRoom,
  validateText,
} from './validation.mjs';

/** @typedef {import('./config.mjs').Settings} Settings */
/** @typedef {Record<string, unknown>} LogRecord */
/** @typedef {{statusCode: number}} Result */
/** @typedef {(ws: WebSocketEvent, settings: Settings, record: LogRecord) => Promise<Result>} RouteBody */

// History goes out in one PostToConnection, which refuses more than 128 KB; the rest of the
// `joined` or `history` object needs far less than the 8 KB kept free here.
const HISTORY_BUDGET_BYTES = 120 * 1024;

// DynamoDB's answers when a table or the account is over its throughput, once the SDK's
// own retries are spent.
const DYNAMODB_THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/**
 * An AWS service's error (the SDK puts `$metadata` on every one), as its code.
 * @param {unknown} error
 * @returns {string | null}
 */
const serviceErrorCode = (error) =>
  /** @type {any} */ (error)?.$metadata ? /** @type {Error} */ (error).name || 'Error' : null;

/** @param {unknown} error */
const isThrottled = (error) => DYNAMODB_THROTTLING.has(serviceErrorCode(error) ?? '');

/**
 * Turn a route body into a Lambda handler that logs one line per event. The body fills in
 * `record` (room, outcome, error, counts) as it learns them; the line is written whatever
 * happens, with the latency, before any error goes on to Lambda.
 * @param {string} name
 * @param {RouteBody} body
 * @returns {(event: Record<string, unknown>, context?: {awsRequestId?: string}) => Promise<Result>}
 */
function route(name, body) {
  return async (event, context) => {
    const started = performance.now();
    const ws = new WebSocketEvent(event);
    /** @type {LogRecord} */
    const record = {
      route: ws.routeKey || name,
      connection: ws.connectionId,
      room: null,
      outcome: 'ok',
      request_id: ws.requestId,
      aws_request_id: context?.awsRequestId ?? null,
    };
    try {
      const settings = loadSettings();
      try {
        return await body(ws, settings, record);
      } catch (error) {
        if (!isThrottled(error)) throw error;
        return await throttled(ws, settings, record);
      }
    } catch (error) {
      record.outcome = 'exception';
      record.error = serviceErrorCode(error) ?? /** @type {Error} */ (error)?.name ?? 'Error';
      throw error;
    } finally {
      record.latency_ms = elapsedMs(started);
      logJson(record.outcome === 'exception' ? 'ERROR' : 'INFO', 'route', record);
    }
  };
}

/**
 * DynamoDB stayed over its throughput: nothing was done, and the client may retry.
 * `$connect` answers 429, which refuses the upgrade; `$disconnect` has nobody to tell; any
 * other route tells the sender, who may send the same message again.
 * @param {WebSocketEvent} ws
 * @param {Settings} settings
 * @param {LogRecord} record
 */
async function throttled(ws, settings, record) {
  Object.assign(record, { outcome: 'throttled', error: 'throttled' });
  if (ws.eventType === 'MESSAGE') {
    await sendToCaller(
      ws,
      settings,
      errorPayload('throttled', 'The chat is too busy right now; send the same again in a moment.'),
    );
  }
  return status(429);
}

/**
 * @param {WebSocketEvent} ws
 * @param {Settings} settings
 */
const management = (ws, settings) => managementApi(ws.managementEndpoint, settings.fanoutMaxWorkers);

/**
 * The name other members see: the authorized user, else a stable guest name. Guests get a
 * hash rather than their connection id, which other clients have no use for.
 * @param {string | null} userName
 * @param {string} connectionId
 */
function senderName(userName, connectionId) {
  if (userName) return userName;
  return `guest-${createHash('sha256').update(connectionId).digest('hex').slice(0, 8)}`;
}

/**
 * Post to the connection that sent the event; drop its item if it is gone (here the
 * caller is the target of the post, so the caller's item is the stale one).
 * @param {WebSocketEvent} ws
 * @param {Settings} settings
 * @param {object} payload
 */
async function sendToCaller(ws, settings, payload) {
  const result = await postWithRetry(management(ws, settings), ws.connectionId, encode(payload), {
    maxAttempts: settings.postMaxAttempts,
  });
  if (result.delivery === 'gone') {
    await removeConnection(settings.connectionsTable, ws.connectionId);
  } else if (result.delivery === 'failed') {
    logJson('WARNING', 'reply_failed', { connection: ws.connectionId, error: result.error });
  }
  return result.delivery;
}

const notConnected = () =>
  new BadRequest(
    'not_connected',
    'This connection is not registered (it may have expired); reconnect and try again.',
  );

/**
 * The sender's live item, and the time it was read at; `not_connected` if none.
 * @param {WebSocketEvent} ws
 * @param {Settings} settings
 */
async function registered(ws, settings) {
  const connection = await findConnection(settings.connectionsTable, ws.connectionId);
  const now = Date.now() / 1000;
  if (connection === null || isExpired(connection, now)) throw notConnected();
  return { connection, now };
}

/**
 * Run `body`; a `BadRequest` from it is answered to the sender as an error.
 * @param {WebSocketEvent} ws
 * @param {Settings} settings
 * @param {LogRecord} record
 * @param {() => Promise<Result>} body
 * @returns {Promise<Result>}
 */
async function answeringBadRequests(ws, settings, record, body) {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof BadRequest)) throw error;
    Object.assign(record, { outcome: 'rejected', error: error.code });
    await sendToCaller(ws, settings, errorPayload(error.code, error.message));
    return status(400);
  }
}

/**
 * `$connect`: check the Origin and the room, then store the connection. Nothing can be
 * posted to the client yet (a post from here gets 410): clients send joinroom once open.
 * @type {RouteBody}
 */
async function connect(ws, settings, record) {
  const origin = ws.header('Origin');
  // Browsers always send Origin, so this stops other websites' pages from opening sockets
  // with a user's credentials; a missing one is left to the authorizer.
  if (
    settings.allowedOrigins.size &&
    origin !== null &&
    !settings.allowedOrigins.has(origin.replace(/\/+$/, ''))
  ) {
    Object.assign(record, { outcome: 'rejected', error: 'origin_not_allowed', origin });
    return status(403);
  }
  const requested = ws.query('roomId');
  let room;
  try {
    room = validateRoom(requested ?? settings.defaultRoom);
  } catch (error) {
    if (!(error instanceof BadRequest)) throw error;
    Object.assign(record, { outcome: 'rejected', error: error.code });
    return status(400);
  }
  record.room = room;
  const now = Date.now() / 1000;
  await registerConnection(settings.connectionsTable, {
    connectionId: ws.connectionId,
    room,
    userName: ws.authorizerUser,
    connectedAtMs: ws.connectedAtMs ?? Math.trunc(now * 1000),
    expiresAt: Math.trunc(now) + settings.connectionTtlSeconds,
  });
  return status(200);
}

/**
 * `$disconnect`: delete the connection's item; a second `$disconnect` for it is harmless.
 * @type {RouteBody}
 */
async function disconnect(ws, settings, record) {
  const room = await removeConnection(settings.connectionsTable, ws.connectionId);
  record.room = room;
  if (room === null) record.outcome = 'already_gone';
  return status(200);
}

/**
 * `sendmessage`: number the message, keep it in the room's history, post it to the room.
 * @type {RouteBody}
 */
async function sendMessage(ws, settings, record) {
  return answeringBadRequests(ws, settings, record, async () => {
    const text = validateText(parseBody(ws.body), settings.maxMessageBytes);
    const { connection: sender, now } = await registered(ws, settings);
    record.room = sender.room;
    const envelope = await appendMessage(settings.historyTable, {
      room: sender.room,
      sender: senderName(sender.userName ?? ws.authorizerUser, ws.connectionId),
      text,
      sentAt: utcTimestamp(now),
      now,
      keep: settings.historyKeep,
      ttlSeconds: settings.historyTtlSeconds,
    });
    let result;
    try {
      result = await broadcastToRoom({
        table: settings.connectionsTable,
        indexName: settings.roomIndex,
        room: sender.room,
        data: encode(envelope),
        client: management(ws, settings),
        maxWorkers: settings.fanoutMaxWorkers,
        maxAttempts: settings.postMaxAttempts,
        now,
      });
    } catch (error) {
      if (!isThrottled(error)) throw error;
      // Numbered and stored, but the room could not be read: sending it again would make
      // a second message. The sender gets its copy; the others see the gap at the next
      // message and fetch this one with `history`.
      Object.assign(record, { seq: envelope.seq, outcome: 'not_broadcast', error: 'throttled' });
      await sendToCaller(ws, settings, envelope);
      return status(200);
    }
    Object.assign(record, {
      seq: envelope.seq,
      delivered: result.delivered,
      gone: result.gone,
      failed: result.failed,
    });
    return status(200);
  });
}

/**
 * `joinroom`: move to `roomId` (or stay, when it is left out) and receive its history.
 * @type {RouteBody}
 */
async function joinRoom(ws, settings, record) {
  return answeringBadRequests(ws, settings, record, async () => {
    const message = parseBody(ws.body);
    const { connection: current, now } = await registered(ws, settings);
    const room = 'roomId' in message ? validateRoom(message.roomId) : current.room;
    const moved =
      room === current.room ||
      (await moveConnection(settings.connectionsTable, ws.connectionId, room)) !== null;
    if (!moved) throw notConnected();
    Object.assign(record, { room, previous_room: current.room });
    // The move comes first, so a message sent meanwhile arrives live and may also be in
    // the history below: clients drop a `seq` they already have.
    const messages = fitToSize(
      await recentMessages(settings.historyTable, room, settings.historyLimit, now),
      HISTORY_BUDGET_BYTES,
    );
    const payload = joinedPayload({
      room,
      you: senderName(current.userName ?? ws.authorizerUser, ws.connectionId),
      history: messages,
      lastSeq: await lastSequence(settings.historyTable, room),
    });
    record.history = messages.length;
    await sendToCaller(ws, settings, payload);
    return status(200);
  });
}

/**
 * `history`: send the sender a room's messages numbered after `sinceSeq`, the ones a gap
 * in its numbering shows it missed, oldest first, exactly as they went out live.
 * @type {RouteBody}
 */
async function history(ws, settings, record) {
  return answeringBadRequests(ws, settings, record, async () => {
    const request = validateHistoryRequest(parseBody(ws.body));
    const { connection: sender, now } = await registered(ws, settings);
    const room = request.room ?? sender.room;
    const found = await messagesSince(settings.historyTable, room, request.sinceSeq, request.limit, now);
    const messages = fitToSize(found, HISTORY_BUDGET_BYTES, { keepNewest: false });
    // Read after the messages, so it is at least the seq of every one of them.
    const latest = await lastSequence(settings.historyTable, room);
    Object.assign(record, { room, since_seq: request.sinceSeq, returned: messages.length, latest_seq: latest });
    await sendToCaller(ws, settings, historyPayload({ room, messages, latestSeq: latest }));
    return status(200);
  });
}

/**
 * `$default`: explain to the sender why its message matched no route, and what would.
 * @type {RouteBody}
 */
async function defaultRoute(ws, settings, record) {
  return answeringBadRequests(ws, settings, record, async () => {
    const message = parseBody(ws.body);
    const action = message.action;
    if (action === undefined || action === null) {
      throw new BadRequest('missing_action', 'The message has no "action" field.');
    }
    const shown = [...JSON.stringify(action)].slice(0, 64).join('');
    if (typeof action === 'string' && ROUTED_ACTIONS.includes(action)) {
      // Only reachable when the API lacks that route, e.g. it was added but the API was
      // not deployed again.
      throw new BadRequest(
        'route_not_deployed',
        `The action ${shown} is valid, but this API has no route for it yet.`,
      );
    }
    throw new BadRequest('unknown_action', `Unknown action ${shown}.`);
  });
}

/**
 * (user or null, reason, log level) for the token a client presented.
 * @param {Settings} settings
 * @param {string | null} token
 * @returns {Promise<[string | null, string, 'INFO' | 'ERROR']>}
 */
async function checkToken(settings, token) {
  let secret;
  try {
    secret = await resolveSecret(settings);
  } catch (error) {
    return [null, `secret_unavailable:${/** @type {Error} */ (error).name}`, 'ERROR'];
  }
  if (secret === null) return [null, 'secret_not_configured', 'ERROR'];
  if (token === null) return [null, 'missing_token', 'INFO'];
  try {
    const user = verifyToken(secret, token, { maxTtlSeconds: settings.tokenMaxTtlSeconds });
    return [user, 'valid_token', 'INFO'];
  } catch (error) {
    if (error instanceof TokenError) return [null, error.reason, 'INFO'];
    if (error instanceof SecretTooShort) return [null, 'secret_too_short', 'ERROR'];
    throw error;
  }
}

/**
 * REQUEST authorizer for `$connect`: allow a valid `?token=`, deny anything else. Denying
 * with a policy (API Gateway answers 403) rather than throwing keeps a bad token from
 * counting as a Lambda error. The `context` reaches every later event of the connection as
 * `requestContext.authorizer.user`.
 * @param {Record<string, unknown>} event
 * @param {{awsRequestId?: string}} [context]
 */
export async function authorize(event, context) {
  const started = performance.now();
  const auth = new AuthorizerEvent(event);
  const [user, reason, level] = await checkToken(loadSettings(), auth.query('token'));
  const result =
    user === null
      ? iamPolicy({ principalId: 'anonymous', effect: 'Deny', resource: auth.methodArn })
      : iamPolicy({ principalId: user, effect: 'Allow', resource: auth.methodArn, context: { user } });
  logJson(level, 'authorize', {
    route: '$connect',
    connection: auth.connectionId,
    outcome: user === null ? 'deny' : 'allow',
    reason,
    user,
    request_id: auth.requestId,
    aws_request_id: context?.awsRequestId ?? null,
    latency_ms: elapsedMs(started),
  });
  return result;
}

export const onConnect = route('$connect', connect);
export const onDisconnect = route('$disconnect', disconnect);
export const onSendMessage = route('sendmessage', sendMessage);
export const onJoinRoom = route('joinroom', joinRoom);
export const onDefault = route('$default', defaultRoute);
export const onHistory = route('history', history);
