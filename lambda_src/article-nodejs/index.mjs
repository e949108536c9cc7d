// The article's Lambda in its own language: one Node.js function for every route of a
// WebSocket API, with the AWS SDK for JavaScript v3 that Lambda's Node.js runtimes include.
// Source of the design: https://www.javascriptcn.com/post/649fb53548841e9894c11660
//
//   $connect     store the connection: { id: connectionId, roomId }
//   $disconnect  delete it
//   any other    scan the table and post the message to every connection found
//
// Runtime nodejs20.x or nodejs22.x, Handler index.handler, TABLE_NAME the connections table
// (partition key `id`, a string). See README.md beside this folder for what it leaves out.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

const TableName = process.env.TABLE_NAME;
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const managementClients = new Map(); // one per endpoint, reused while the environment is warm

export const handler = async (event) => {
  const { routeKey, connectionId, domainName, stage } = event.requestContext;
  if (routeKey === '$connect') {
    const roomId = event.queryStringParameters?.roomId ?? 'lobby';
    await db.send(new PutCommand({ TableName, Item: { id: connectionId, roomId } }));
  } else if (routeKey === '$disconnect') {
    await db.send(new DeleteCommand({ TableName, Key: { id: connectionId } }));
  } else {
    // The management API's endpoint, as AWS documents it: from the event.
    await broadcast(`https://${domainName}/${stage}`, event.body ?? '');
  }
  return { statusCode: 200 };
};

async function connectionIds() {
  const ids = [];
  let ExclusiveStartKey;
  do {
    // A Scan reads one page (up to 1 MB) at a time: follow LastEvaluatedKey to the end.
    const page = await db.send(
      new ScanCommand({ TableName, ProjectionExpression: 'id', ExclusiveStartKey })
    );
    ids.push(...page.Items.map((item) => item.id));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return ids;
}

async function broadcast(endpoint, message) {
  if (!managementClients.has(endpoint)) {
    managementClients.set(endpoint, new ApiGatewayManagementApiClient({ endpoint }));
  }
  const api = managementClients.get(endpoint);
  const ids = await connectionIds();
  const results = await Promise.allSettled(
    ids.map((id) => api.send(new PostToConnectionCommand({ ConnectionId: id, Data: message })))
  );
  // 410 Gone: that connection closed without its $disconnect being handled. Delete its item
  // (the target's, never the sender's); any other failure is logged and the rest still get it.
  const gone = ids.filter((_, i) => results[i].reason?.name === 'GoneException');
  await Promise.all(gone.map((id) => db.send(new DeleteCommand({ TableName, Key: { id } }))));
  const failed = results.filter((r) => r.status === 'rejected').length - gone.length;
  console.log(JSON.stringify({ recipients: ids.length, gone: gone.length, failed }));
}
