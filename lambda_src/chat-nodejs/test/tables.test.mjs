// The tables' modules (store.mjs, history.mjs) against a DynamoDB you point them at:
//
//   AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 \
//   AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test node --test
//
// (a local AWS such as `wslab local`, or DynamoDB Local). Without AWS_ENDPOINT_URL these
// tests are skipped: they create and delete tables, which they must never do on an account.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';

import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

import { appendMessage, lastSequence, messagesSince, recentMessages } from '../history.mjs';
import { connectionsInRoom, findConnection, moveConnection, registerConnection } from '../store.mjs';

const skip = process.env.AWS_ENDPOINT_URL ? false : 'AWS_ENDPOINT_URL is not set';
const suffix = randomUUID().slice(0, 8);
const CONNECTIONS = `node-test-connections-${suffix}`;
const HISTORY = `node-test-history-${suffix}`;
const dynamodb = new DynamoDBClient({});

before(async () => {
  if (skip) return;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: CONNECTIONS,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'roomId', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'roomId-index',
          KeySchema: [{ AttributeName: 'roomId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await dynamodb.send(
    new CreateTableCommand({
      TableName: HISTORY,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'roomId', AttributeType: 'S' },
        { AttributeName: 'seq', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'roomId', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
    }),
  );
  for (const TableName of [CONNECTIONS, HISTORY]) {
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName });
  }
});

after(async () => {
  if (skip) return;
  for (const TableName of [CONNECTIONS, HISTORY]) {
    await dynamodb.send(new DeleteTableCommand({ TableName }));
  }
});

test('a connection is registered, found, moved and listed in its room', { skip }, async () => {
  const now = Math.trunc(Date.now() / 1000);
  const fields = { room: '大厅', userName: '小明', connectedAtMs: Date.now() };
  await registerConnection(CONNECTIONS, { ...fields, connectionId: 'a', expiresAt: now + 600 });
  await registerConnection(CONNECTIONS, { ...fields, connectionId: 'b', expiresAt: now - 1 });
  assert.deepEqual(await findConnection(CONNECTIONS, 'a'), {
    connectionId: 'a',
    room: '大厅',
    userName: '小明',
    expiresAt: now + 600,
  });
  const stats = { pages: 0, expired: 0 };
  const live = [];
  for await (const connection of connectionsInRoom(CONNECTIONS, 'roomId-index', '大厅', now, stats)) {
    live.push(connection.connectionId);
  }
  assert.deepEqual([live, stats.expired], [['a'], 1]);
  assert.equal(await moveConnection(CONNECTIONS, 'a', 'комната'), '大厅');
  assert.equal(await moveConnection(CONNECTIONS, 'never-connected', 'комната'), null);
  assert.equal(await findConnection(CONNECTIONS, 'never-connected'), null);
});

test('messages are numbered 1, 2, 3 per room and read back in order', { skip }, async () => {
  const now = Date.now() / 1000;
  const message = { sender: '小明', sentAt: 'now', now, keep: 2, ttlSeconds: 60 };
  for (const text of ['一', '二', '三']) {
    await appendMessage(HISTORY, { ...message, room: 'sala-ñ', text });
  }
  assert.equal(await lastSequence(HISTORY, 'sala-ñ'), 3);
  // keep: 2, so the first message was trimmed when the third came.
  assert.deepEqual((await recentMessages(HISTORY, 'sala-ñ', 10, now)).map((m) => m.seq), [2, 3]);
  assert.deepEqual((await messagesSince(HISTORY, 'sala-ñ', 2, 10, now)).map((m) => m.text), ['三']);
  assert.equal(await lastSequence(HISTORY, 'elsewhere'), 0);
});
