// The connections table: one item per open WebSocket connection.
//
// Schema (created by the template, documented in lambda_src/README.md): partition key `id`
// (S), the connection id; `roomId` (S), the key of the `roomId-index` GSI; `userName` (S,
// optional); `connectedAt` (N, epoch ms); `expiresAt` (N, epoch s, the TTL attribute).
// Every function takes the table's name, so the handlers decide which table.

import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

import { documents } from './clients.mjs';

/**
 * @typedef {object} Connection
 * @property {string} connectionId
 * @property {string} room
 * @property {string | null} userName
 * @property {number | null} expiresAt
 */

/**
 * @typedef {object} RoomQueryStats  what one walk over a room's connections saw
 * @property {number} pages
 * @property {number} expired
 */

/**
 * True once the item has outlived API Gateway's connection limit. DynamoDB deletes expired
 * items only eventually (often within days), so readers skip them themselves; an item
 * without `expiresAt` counts as live.
 * @param {Connection} connection
 * @param {number} now  epoch seconds
 */
export const isExpired = (connection, now) =>
  connection.expiresAt !== null && connection.expiresAt <= now;

/**
 * @param {Record<string, any>} item
 * @returns {Connection}
 */
const connectionOf = (item) => ({
  connectionId: String(item.id),
  room: String(item.roomId ?? ''),
  userName: item.userName ? String(item.userName) : null,
  expiresAt: item.expiresAt !== undefined ? Number(item.expiresAt) : null,
});

/**
 * Store a new connection (a retried `$connect` simply overwrites its own item).
 * @param {string} table
 * @param {{connectionId: string, room: string, userName: string | null,
 *   connectedAtMs: number, expiresAt: number}} fields
 */
export async function registerConnection(table, fields) {
  const item = {
    id: fields.connectionId,
    roomId: fields.room,
    connectedAt: fields.connectedAtMs,
    expiresAt: fields.expiresAt,
    ...(fields.userName ? { userName: fields.userName } : {}),
  };
  await documents().send(new PutCommand({ TableName: table, Item: item }));
}

/**
 * The connection's item, read consistently so a `$connect` just before is seen.
 * @param {string} table
 * @param {string} connectionId
 * @returns {Promise<Connection | null>}
 */
export async function findConnection(table, connectionId) {
  const { Item } = await documents().send(
    new GetCommand({ TableName: table, Key: { id: connectionId }, ConsistentRead: true }),
  );
  return Item ? connectionOf(Item) : null;
}

/**
 * Put an existing connection in `room`; its previous room, or null if it is unknown. The
 * condition stops an update from recreating, without a TTL, the item of a connection whose
 * `$disconnect` has already deleted it.
 * @param {string} table
 * @param {string} connectionId
 * @param {string} room
 * @returns {Promise<string | null>}
 */
export async function moveConnection(table, connectionId, room) {
  try {
    const { Attributes } = await documents().send(
      new UpdateCommand({
        TableName: table,
        Key: { id: connectionId },
        UpdateExpression: 'SET #room = :room',
        ConditionExpression: 'attribute_exists(id)',
        ExpressionAttributeNames: { '#room': 'roomId' },
        ExpressionAttributeValues: { ':room': room },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return String(Attributes?.roomId ?? room);
  } catch (error) {
    if (/** @type {Error} */ (error).name === 'ConditionalCheckFailedException') return null;
    throw error;
  }
}

/**
 * Delete a connection's item; the room it was in, or null if it was already gone. Deleting
 * a missing item succeeds in DynamoDB, which makes `$disconnect` idempotent.
 * @param {string} table
 * @param {string} connectionId
 * @returns {Promise<string | null>}
 */
export async function removeConnection(table, connectionId) {
  const { Attributes } = await documents().send(
    new DeleteCommand({ TableName: table, Key: { id: connectionId }, ReturnValues: 'ALL_OLD' }),
  );
  return Attributes && 'roomId' in Attributes ? String(Attributes.roomId) : null;
}

const BATCH_SIZE = 25; // BatchWriteItem's limit per request
const BATCH_MAX_ROUNDS = 8;

/**
 * Delete many connections in batches of 25, sending unprocessed items again with backoff
 * (BatchWriteItem answers them when the table is throttled) a bounded number of times.
 * @param {string} table
 * @param {string[]} connectionIds
 */
export async function removeConnections(table, connectionIds) {
  for (let start = 0; start < connectionIds.length; start += BATCH_SIZE) {
    /** @type {Record<string, any> | undefined} */
    let requests = {
      [table]: connectionIds
        .slice(start, start + BATCH_SIZE)
        .map((id) => ({ DeleteRequest: { Key: { id } } })),
    };
    for (let round = 0; requests && Object.keys(requests).length; round += 1) {
      if (round === BATCH_MAX_ROUNDS) throw new Error('unprocessed deletes after retries');
      if (round) await new Promise((done) => setTimeout(done, 50 * 2 ** round));
      const answer = await documents().send(new BatchWriteCommand({ RequestItems: requests }));
      requests = answer.UnprocessedItems;
    }
  }
}

/**
 * Every live connection in `room`, page by page from the room index. A Query on the index
 * reads only the room's items, where a Scan would read the whole table for every message;
 * each page is yielded as it arrives so posting can start before the last page is read.
 * @param {string} table
 * @param {string} indexName
 * @param {string} room
 * @param {number} now  epoch seconds
 * @param {RoomQueryStats} stats
 * @returns {AsyncGenerator<Connection>}
 */
export async function* connectionsInRoom(table, indexName, room, now, stats) {
  /** @type {Record<string, any> | undefined} */
  let startKey;
  do {
    const page = await documents().send(
      new QueryCommand({
        TableName: table,
        IndexName: indexName,
        KeyConditionExpression: '#room = :room',
        ExpressionAttributeNames: { '#room': 'roomId' },
        ExpressionAttributeValues: { ':room': room },
        ExclusiveStartKey: startKey,
      }),
    );
    stats.pages += 1;
    for (const item of page.Items ?? []) {
      const connection = connectionOf(item);
      if (isExpired(connection, now)) {
        stats.expired += 1;
        continue;
      }
      yield connection;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}
