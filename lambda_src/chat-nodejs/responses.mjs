// What the handlers return to API Gateway and what they send to clients. Every payload a
// client receives is a JSON object with a `type`: `message`, `joined`, `history` or `error`
// (lambda_src/README.md shows each).

import { VALID_ACTIONS } from './validation.mjs';

/** Shown in every error so a client author can fix a message without reading the docs. */
export const EXAMPLES = Object.freeze({
  sendmessage: { action: 'sendmessage', data: 'Hello, room!' },
  joinroom: { action: 'joinroom', roomId: 'lobby' },
});

/**
 * A Lambda proxy result. On `$connect` the code becomes the HTTP status of the upgrade
 * (2xx accepts, anything else rejects); on other routes API Gateway ignores it.
 * @param {number} code
 */
export const status = (code) => ({ statusCode: code });

/**
 * The bytes to post: compact JSON in UTF-8, so the size a client is told about is the
 * size that is sent.
 * @param {object} payload
 */
export const encode = (payload) => Buffer.from(JSON.stringify(payload), 'utf8');

/**
 * ISO 8601 in UTC with milliseconds: `2024-01-20T11:55:00.453Z`.
 * @param {number} epochSeconds
 */
export const utcTimestamp = (epochSeconds) => new Date(epochSeconds * 1000).toISOString();

/**
 * @typedef {{type: 'message', room: string, seq: number, sender: string, text: string,
 *   sentAt: string}} Envelope
 */

/**
 * A chat message as every member of the room receives it.
 * @param {{room: string, seq: number, sender: string, text: string, sentAt: string}} fields
 * @returns {Envelope}
 */
export const messageEnvelope = ({ room, seq, sender, text, sentAt }) => ({
  type: 'message',
  room,
  seq,
  sender,
  text,
  sentAt,
});

/**
 * The answer to `joinroom`: where the client now is, and what was said there.
 * @param {{room: string, you: string, history: Envelope[], lastSeq: number}} fields
 */
export const joinedPayload = ({ room, you, history, lastSeq }) => ({
  type: 'joined',
  room,
  you,
  lastSeq,
  history,
});

/**
 * The answer to `history`: messages after the asked `seq`, exactly as they went out live,
 * and the last `seq` the room has handed out.
 * @param {{room: string, messages: Envelope[], latestSeq: number}} fields
 */
export const historyPayload = ({ room, messages, latestSeq }) => ({
  type: 'history',
  room,
  messages,
  latestSeq,
});

/**
 * An error for the sender alone, with the valid actions and an example of each.
 * @param {string} code
 * @param {string} message
 */
export const errorPayload = (code, message) => ({
  type: 'error',
  error: code,
  message,
  validActions: [...VALID_ACTIONS],
  examples: EXAMPLES,
});

/**
 * A Lambda authorizer result in the IAM policy format API Gateway expects. `resource` must
 * be the event's `methodArn`: a REST-style `.../{stage}/*\/*` matches no WebSocket route.
 * @param {{principalId: string, effect: 'Allow' | 'Deny', resource: string,
 *   context?: Record<string, string>}} fields
 */
export function iamPolicy({ principalId, effect, resource, context }) {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
    ...(context ? { context } : {}),
  };
}
