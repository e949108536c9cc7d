// AWS SDK for JavaScript v3 clients, created on first use and then kept for the execution
// environment: each warm environment makes each client once and reuses it (and its
// connection pool) for every invocation. Nothing is created at import time, so tests and
// the local stack can set their endpoints before the first call.
//
// Only the SDK that Lambda's Node.js runtimes include is used, so nothing is bundled.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';

// The SDK's own per-service endpoint variable, for a custom domain whose API mapping's base
// path is not the stage name (aws-samples/simple-websockets-chat-app#40): the SDK reads it
// when no endpoint is passed. Lambda never sets it.
export const MANAGEMENT_ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI';

/** @type {Map<string, any>} */
const cache = new Map();

/**
 * @template T
 * @param {string} key
 * @param {() => T} create
 * @returns {T}
 */
function cached(key, create) {
  if (!cache.has(key)) cache.set(key, create());
  return cache.get(key);
}

/**
 * The DynamoDB document client: items as plain objects, numbers as numbers.
 * @returns {DynamoDBDocumentClient}
 */
export const documents = () =>
  cached('dynamodb', () => DynamoDBDocumentClient.from(new DynamoDBClient({})));

/**
 * The API Gateway Management API client for posting to connections, made once per
 * endpoint (`https://{domainName}/{stage}` from the event).
 * @param {string} eventEndpoint
 * @param {number} poolSize
 * @returns {ApiGatewayManagementApiClient}
 */
export function managementApi(eventEndpoint, poolSize) {
  const configured = (process.env[MANAGEMENT_ENDPOINT_VARIABLE] ?? '').trim();
  const options = {
    // Throttling is retried by fanout.postWithRetry, per target and counted; SDK retries
    // on top of that would multiply the attempts.
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: 3000,
      requestTimeout: 5000,
      // One socket per concurrent post, so no post waits for a pooled connection.
      httpsAgent: { keepAlive: true, maxSockets: poolSize },
      httpAgent: { keepAlive: true, maxSockets: poolSize },
    },
  };
  if (configured) {
    return cached(`management ${configured}`, () => new ApiGatewayManagementApiClient(options));
  }
  return cached(
    `management ${eventEndpoint}`,
    () => new ApiGatewayManagementApiClient({ ...options, endpoint: eventEndpoint }),
  );
}

/**
 * The Secrets Manager client, used only when the token secret lives there; imported on
 * first use, so the other handlers never load it.
 */
export async function secretsManager() {
  const { SecretsManagerClient, GetSecretValueCommand } = await import(
    '@aws-sdk/client-secrets-manager'
  );
  return { client: cached('secretsmanager', () => new SecretsManagerClient({})), GetSecretValueCommand };
}
