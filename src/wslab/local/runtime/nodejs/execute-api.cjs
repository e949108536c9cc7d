'use strict';
// Preloaded (node --require) in every Node.js environment of wslab local, and only there:
// management API requests for the local stack's APIs reach the stack, not AWS.
//
// A handler written for AWS builds its client from the event,
//   new ApiGatewayManagementApiClient({ endpoint: `https://${domainName}/${stage}` })
// with domainName = "<apiId>.execute-api.<region>.amazonaws.com". The SDK (v3, as v2)
// sends its requests through https.request; here https.request and https.get send a
// request for such a host, on port 443, to http://127.0.0.1:<port>/<apiId>/<path> when the
// stack says it serves that host, and leave every other request exactly as it was.
//
// https.request answers synchronously, so the answer must be known then. The environment
// asks the stack for all its APIs' hosts as it starts, in the background, while the
// handler's module loads. A host that list does not name (an API created since) is asked
// about synchronously, once: a worker thread asks while this thread waits (Atomics.wait),
// which costs tens of milliseconds, mostly the thread's start.

const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { syncBuiltinESMExports } = require('node:module');
const { isMainThread, Worker } = require('node:worker_threads');

const LOOKUP_VARIABLE = '_WSLAB_EXECUTE_API_LOOKUP';
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.[a-z]{2}(-[a-z]+)+-\d+\.amazonaws\.com(\.cn)?$/;
const ANSWER_BYTES = 4096;

// host -> the API's local base URL, or null: not one of the stack's APIs.
const known = new Map();

function askTheStack(lookupUrl, host) {
  const state = new Int32Array(new SharedArrayBuffer(8)); // [done: 0 | 1 answered | 2 failed, length]
  const answer = new Uint8Array(new SharedArrayBuffer(ANSWER_BYTES));
  const worker = new Worker(path.join(__dirname, 'lookup.cjs'), {
    workerData: { url: lookupUrl + host, state, answer },
    execArgv: [], // without this preload
  });
  worker.unref();
  // A liveness deadline, as in management_redirect.py: a busy stack may take seconds.
  Atomics.wait(state, 0, 0, 30_000);
  if (Atomics.load(state, 0) !== 1) return undefined; // the stack did not answer: ask again later
  const length = Atomics.load(state, 1);
  const body = length ? JSON.parse(Buffer.from(answer.subarray(0, length)).toString('utf8')) : null;
  return body ? body.endpoint : null;
}

function localBase(lookupUrl, host) {
  if (!EXECUTE_API_HOST.test(host)) return null;
  if (!known.has(host)) {
    const found = askTheStack(lookupUrl, host);
    if (found === undefined) return null;
    known.set(host, found);
  }
  return known.get(host);
}

// https.request(url[, options][, callback]) or https.request(options[, callback]).
function requestOptions(args) {
  const [first, second] = args;
  if (typeof first === 'string' || first instanceof URL) {
    const url = new URL(first);
    const fromUrl = {
      hostname: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
    };
    return { ...fromUrl, ...(second && typeof second === 'object' ? second : {}) };
  }
  return first || {};
}

// The hosts the stack serves now; never holds the process open.
function learnHosts(lookupUrl) {
  const request = http.get(lookupUrl, { agent: false }, (response) => {
    const chunks = [];
    response.on('data', (chunk) => chunks.push(chunk));
    response.on('end', () => {
      if (response.statusCode !== 200) return;
      const { hosts } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const [host, base] of Object.entries(hosts)) known.set(host, base);
    });
  });
  request.on('socket', (socket) => socket.unref());
  request.on('error', () => {}); // then each host is asked about when it is met
}

function install(lookupUrl) {
  learnHosts(lookupUrl);
  const localAgent = new http.Agent({ keepAlive: true });
  const redirected = (args) => {
    const options = requestOptions(args);
    const host = String(options.hostname || options.host || '').toLowerCase();
    if (![undefined, null, '', 443, '443'].includes(options.port)) return null;
    const base = localBase(lookupUrl, host);
    if (!base) return null;
    const target = new URL(base);
    const callback = args.find((arg) => typeof arg === 'function');
    const local = {
      ...options,
      protocol: 'http:',
      host: undefined,
      hostname: target.hostname,
      port: target.port,
      path: target.pathname + (options.path || '/'),
      agent: localAgent,
    };
    return http.request(local, callback);
  };
  const { request, get } = https;
  https.request = function (...args) {
    return redirected(args) || request.apply(this, args);
  };
  https.get = function (...args) {
    const local = redirected(args);
    if (!local) return get.apply(this, args);
    local.end();
    return local;
  };
  syncBuiltinESMExports(); // `import { request } from 'node:https'` sees the same functions
}

if (isMainThread) {
  const lookupUrl = process.env[LOOKUP_VARIABLE];
  delete process.env[LOOKUP_VARIABLE]; // the handler sees Lambda's variables only
  if (lookupUrl) install(lookupUrl);
}
