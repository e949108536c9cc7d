// Checks on everything a client sends, each failure a `BadRequest` with a clear message:
// the same codes and messages as lambda_src/chat/validation.py. `code` is stable for
// programs; `message` is for people and may be reworded.

/** What people send; every error lists them, each with an example. */
export const VALID_ACTIONS = Object.freeze(['sendmessage', 'joinroom']);

/** What clients send by themselves, to fetch the messages of a gap in the numbering. */
export const HISTORY_ACTION = 'history';

/** Every action the chat has a route for: the non-`$` route keys of the template. */
export const ROUTED_ACTIONS = Object.freeze([...VALID_ACTIONS, HISTORY_ACTION]);

export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 100;

// A room name, once NFC-normalised: 1 to 64 letters (L*) or numbers (N*) of any script,
// '_' and '-', with combining marks (M*) after the first character (Hindi's vowel signs,
// Thai's tone marks); nothing invisible (controls, format characters such as a zero-width
// space or a right-to-left override, spaces, private use, unassigned). The `u` flag makes
// {0,63} count code points, as Python's len() does. 64 characters of at most 4 UTF-8 bytes
// are 256 bytes, far under the 2,048 bytes of a DynamoDB partition key.
const ROOM = /^[\p{L}\p{N}_-][\p{L}\p{M}\p{N}_-]{0,63}$/u;
export const ROOM_RULE =
  "A room name is 1 to 64 letters or digits of any script, '_' and '-' " +
  '(no spaces, no invisible characters).';

/** The client sent something the handlers will not act on. */
export class BadRequest extends Error {
  name = 'BadRequest';

  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * The name of a JSON value's type, as the error messages say it.
 * @param {unknown} value
 */
export function jsonType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value; // boolean, number, string
}

/**
 * The message as a JSON object, or `BadRequest` saying why it is not one.
 * @param {string | null} body
 * @returns {Record<string, unknown>}
 */
export function parseBody(body) {
  if (body === null || !body.trim()) {
    throw new BadRequest('empty_body', 'The message is empty; send a JSON object.');
  }
  let parsed;
  try {
    // JSON.parse refuses NaN and Infinity, as RFC 8259 does.
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequest('invalid_json', 'The message is not valid JSON.');
  }
  if (jsonType(parsed) !== 'object') {
    throw new BadRequest(
      'invalid_message',
      `The message must be a JSON object, not a JSON ${jsonType(parsed)}.`,
    );
  }
  return parsed;
}

/**
 * `room` NFC-normalised if it is an allowed room name, else `BadRequest`.
 * @param {unknown} room
 * @returns {string}
 */
export function validateRoom(room) {
  if (typeof room === 'string' && room.isWellFormed()) {
    const name = room.normalize('NFC');
    if (ROOM.test(name)) return name;
  }
  throw new BadRequest('invalid_room', ROOM_RULE);
}

/**
 * The chat text from a message's `data` field, checked for type and size.
 * @param {Record<string, unknown>} message
 * @param {number} maxBytes
 * @returns {string}
 */
export function validateText(message, maxBytes) {
  if (!('data' in message)) {
    throw new BadRequest('missing_data', 'The message has no "data" field with the text to send.');
  }
  const data = message.data;
  if (typeof data !== 'string') {
    throw new BadRequest('invalid_data', `"data" must be a string, not a JSON ${jsonType(data)}.`);
  }
  if (!data.trim()) throw new BadRequest('invalid_data', '"data" must contain some text.');
  // JSON lets a client send a lone surrogate ("\ud800"), which no UTF-8 frame can carry.
  if (!data.isWellFormed()) {
    throw new BadRequest('invalid_data', '"data" is not valid Unicode text.');
  }
  const size = Buffer.byteLength(data, 'utf8');
  if (size > maxBytes) {
    throw new BadRequest(
      'message_too_large',
      `"data" is ${size} bytes of UTF-8; the limit is ${maxBytes} bytes.`,
    );
  }
  return data;
}

/**
 * @typedef {object} HistoryRequest
 * @property {string | null} room  null: the sender's own room
 * @property {number} sinceSeq     exclusive
 * @property {number} limit
 */

/**
 * The `history` request in `message`, or `BadRequest` naming the bad field.
 * @param {Record<string, unknown>} message
 * @returns {HistoryRequest}
 */
export function validateHistoryRequest(message) {
  const room = 'roomId' in message ? validateRoom(message.roomId) : null;
  const since = message.sinceSeq;
  if (!Number.isSafeInteger(since) || /** @type {number} */ (since) < 0) {
    throw new BadRequest(
      'invalid_since_seq',
      '"sinceSeq" must be a whole number, 0 or more: the last seq you have.',
    );
  }
  const limit = message.limit ?? HISTORY_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_MAX_LIMIT) {
    throw new BadRequest(
      'invalid_limit',
      `"limit" must be a whole number from 1 to ${HISTORY_MAX_LIMIT}.`,
    );
  }
  return { room, sinceSeq: /** @type {number} */ (since), limit: /** @type {number} */ (limit) };
}
