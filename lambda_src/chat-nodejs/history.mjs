// The history table: the last messages of each room, and each room's sequence counter.
//
// Schema: partition key `roomId` (S), sort key `seq` (N). The item with `seq` 0 is the
// room's counter (`lastSeq`, no TTL, so a room's numbering never starts again at 1); items
// 1, 2, ... are messages: `sender`, `text`, `sentAt` and `expiresAt` (the TTL attribute).
// Sequence numbers let a client spot a gap (a missed message) or a duplicate.

import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

import { documents } from './clients.mjs';
import { logJson } from './logs.mjs';
import { encode, messageEnvelope } from './responses.mjs';

/** @typedef {import('./responses.mjs').Envelope} Envelope */

export const COUNTER_SEQ = 0;

/**
 * A message already holds the sequence number the counter just handed out: only possible
 * if a room's counter item was deleted by hand. Failing loudly is better than silently
 * overwriting history that clients have already numbered.
 */
export class HistoryConflict extends Error {
  name = 'HistoryConflict';
}

/**
 * The room's next sequence number from an atomic counter: one UpdateItem both increments
 * and returns it, so concurrent senders in one room never get the same number.
 * @param {string} table
 * @param {string} room
 * @returns {Promise<number>}
 */
export async function nextSequence(table, room) {
  const { Attributes } = await documents().send(
    new UpdateCommand({
      TableName: table,
      Key: { roomId: room, seq: COUNTER_SEQ },
      UpdateExpression: 'SET lastSeq = if_not_exists(lastSeq, :zero) + :one',
      ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(Attributes?.lastSeq);
}

/**
 * The last sequence number handed out in `room` (0 before its first message).
 * @param {string} table
 * @param {string} room
 * @returns {Promise<number>}
 */
export async function lastSequence(table, room) {
  const { Item } = await documents().send(
    new GetCommand({ TableName: table, Key: { roomId: room, seq: COUNTER_SEQ }, ConsistentRead: true }),
  );
  return Number(Item?.lastSeq ?? 0);
}

/**
 * Number a message, store it, trim the room to `keep` messages; its envelope.
 * @param {string} table
 * @param {{room: string, sender: string, text: string, sentAt: string, now: number,
 *   keep: number, ttlSeconds: number}} message
 * @returns {Promise<Envelope>}
 */
export async function appendMessage(table, { room, sender, text, sentAt, now, keep, ttlSeconds }) {
  const seq = await nextSequence(table, room);
  const envelope = messageEnvelope({ room, seq, sender, text, sentAt });
  try {
    await documents().send(
      new PutCommand({
        TableName: table,
        Item: { roomId: room, seq, sender, text, sentAt, expiresAt: Math.trunc(now) + ttlSeconds },
        ConditionExpression: 'attribute_not_exists(#seq)',
        ExpressionAttributeNames: { '#seq': 'seq' },
      }),
    );
  } catch (error) {
    if (/** @type {Error} */ (error).name === 'ConditionalCheckFailedException') {
      throw new HistoryConflict(`room '${room}' already has a message ${seq}`, { cause: error });
    }
    throw error;
  }
  if (seq > keep) {
    // Each message removes the one `keep` places behind it. If this delete fails, the
    // extra item is still never read (queries stop at `keep`) and its TTL removes it.
    try {
      await documents().send(
        new DeleteCommand({ TableName: table, Key: { roomId: room, seq: seq - keep } }),
      );
    } catch (error) {
      if (!(/** @type {any} */ (error).$metadata)) throw error;
      logJson('WARNING', 'history_trim_failed', {
        room,
        seq: seq - keep,
        error: /** @type {Error} */ (error).name,
      });
    }
  }
  return envelope;
}

/**
 * The unexpired message items as envelopes, in the order given.
 * @param {Record<string, any>[]} items
 * @param {number} now
 * @returns {Envelope[]}
 */
const envelopes = (items, now) =>
  items
    .filter((item) => Number(item.expiresAt ?? now + 1) > now)
    .map((item) =>
      messageEnvelope({
        room: String(item.roomId),
        seq: Number(item.seq),
        sender: String(item.sender ?? ''),
        text: String(item.text ?? ''),
        sentAt: String(item.sentAt ?? ''),
      }),
    );

/**
 * @param {string} table
 * @param {string} room
 * @param {number} after  exclusive
 * @param {number} limit
 * @param {boolean} oldestFirst
 */
async function queryMessages(table, room, after, limit, oldestFirst) {
  const { Items } = await documents().send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: '#room = :room AND #seq > :after',
      ExpressionAttributeNames: { '#room': 'roomId', '#seq': 'seq' },
      ExpressionAttributeValues: { ':room': room, ':after': after },
      ScanIndexForward: oldestFirst,
      Limit: limit,
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

/**
 * Up to `limit` latest unexpired messages of `room` as envelopes, oldest first.
 * @param {string} table
 * @param {string} room
 * @param {number} limit
 * @param {number} now
 */
export async function recentMessages(table, room, limit, now) {
  const items = await queryMessages(table, room, COUNTER_SEQ, limit, false);
  return envelopes(items, now).reverse();
}

/**
 * Up to `limit` unexpired messages of `room` numbered after `sinceSeq`, oldest first. A
 * number missing between two returned messages is gone for good.
 * @param {string} table
 * @param {string} room
 * @param {number} sinceSeq
 * @param {number} limit
 * @param {number} now
 */
export async function messagesSince(table, room, sinceSeq, limit, now) {
  const items = await queryMessages(table, room, Math.max(sinceSeq, COUNTER_SEQ), limit, true);
  return envelopes(items, now);
}

/**
 * The newest (or the oldest) messages whose JSON fits in `budgetBytes`, oldest first:
 * history goes to the client in one PostToConnection, which refuses more than 128 KB.
 * @param {Envelope[]} messages
 * @param {number} budgetBytes
 * @param {{keepNewest?: boolean}} [options]
 * @returns {Envelope[]}
 */
export function fitToSize(messages, budgetBytes, { keepNewest = true } = {}) {
  const kept = [];
  let used = 0;
  for (const message of keepNewest ? [...messages].reverse() : messages) {
    const size = encode(message).length + 1; // the comma between array items
    if (used + size > budgetBytes) break;
    kept.push(message);
    used += size;
  }
  return keepNewest ? kept.reverse() : kept;
}
