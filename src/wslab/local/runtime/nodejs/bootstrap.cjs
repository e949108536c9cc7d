'use strict';
// The runtime client of a Node.js execution environment run by wslab local.
//
// It speaks Lambda's Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html)
// at AWS_LAMBDA_RUNTIME_API: load the handler (an Init failure goes to /init/error), then
// forever take /invocation/next, call the handler, post /response or /error. The handler
// is loaded and called as Lambda's Node.js runtimes document it
// (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html): CommonJS or ES
// module (.js by the nearest package.json "type", .mjs, .cjs), async or callback style,
// with Lambda's context object, error JSON and log lines.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');

const RUNTIME = `/2018-06-01/runtime`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let currentRequestId; // the last invocation taken: its id goes on every log line
let inFlight; // the invocation whose outcome is not posted yet

// --- the Runtime API --------------------------------------------------------------------

function call(method, urlPath, body, headers = {}) {
  const [hostname, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent, hostname, port, method, path: RUNTIME + urlPath, headers },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ headers: response.headers, body: Buffer.concat(chunks).toString('utf8') })
        );
      }
    );
    request.on('error', reject);
    request.end(body);
  });
}

function postError(urlPath, error) {
  const body = JSON.stringify(error);
  return call('POST', urlPath, body, {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': error.errorType,
  });
}

// --- logs: one record per call, as Lambda writes them in its text format ----------------
// "<ISO time>\t<request id>\t<LEVEL>\t<message>", newlines inside a record turned into
// carriage returns so CloudWatch keeps a multi-line message as one event.

function record(level, args) {
  const message = util.format(...args).replace(/\n/g, '\r');
  process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message}\n`);
}

for (const [method, level] of [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['debug', 'DEBUG'],
  ['trace', 'TRACE'],
]) {
  console[method] = (...args) => record(level, args);
}

// --- errors as Lambda's Node.js runtimes report them: errorType, errorMessage, trace -----

function errorJson(error, errorType) {
  if (error instanceof Error || (error && typeof error.stack === 'string')) {
    return {
      errorType: errorType || error.name || 'Error',
      errorMessage: String(error.message),
      trace: String(error.stack).split('\n'),
    };
  }
  return { errorType: errorType || typeof error, errorMessage: String(error), trace: [] };
}

function logError(prefix, json) {
  const { errorType, errorMessage, trace } = json;
  record('ERROR', [prefix, JSON.stringify({ errorType, errorMessage, stack: trace })]);
}

// An Init failure: posted once, then the environment exits (the invocation reports it).
// Lambda's message is the error as Node prints it ("Error: Cannot find module 'x'"), or,
// for a handler it cannot find, just what is wrong ("index.handler is undefined ...").
async function failInit(error) {
  const json = errorJson(error, error?.errorType);
  if (error?.errorType) {
    if (!(error instanceof HandlerError)) json.errorMessage = `${error}`;
    json.trace = [`${json.errorType}: ${json.errorMessage}`, ...json.trace.slice(1)];
  }
  logError('Init Error', json);
  await postError('/init/error', json).catch(() => {});
  process.exit(1);
}

// --- loading the handler ------------------------------------------------------------------

class HandlerError extends Error {}

function isModuleType(file) {
  // The nearest package.json decides whether .js is an ES module (Node's own rule).
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module';
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

async function loadModule(taskRoot, moduleDir, moduleName) {
  const base = path.resolve(taskRoot, moduleDir, moduleName);
  const candidates = [
    [base, 'require'],
    [`${base}.js`, isModuleType(`${base}.js`) ? 'import' : 'require'],
    [`${base}.mjs`, 'import'],
    [`${base}.cjs`, 'require'],
  ];
  for (const [file, how] of candidates) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) continue;
    return how === 'import' ? import(pathToFileURL(file).href) : require(file);
  }
  // Not a file of the package: a module of its node_modules, as require finds it.
  return require(require.resolve(moduleName, { paths: [path.resolve(taskRoot, moduleDir)] }));
}

async function loadHandler(handlerName, taskRoot) {
  const slash = handlerName.lastIndexOf('/');
  const moduleDir = handlerName.slice(0, slash + 1);
  const [moduleName, ...names] = handlerName.slice(slash + 1).split('.');
  if (!moduleName || names.length === 0 || names.some((name) => !name)) {
    throw Object.assign(new HandlerError(`Bad handler ${handlerName}`), {
      errorType: 'Runtime.MalformedHandlerName',
    });
  }
  let handler;
  try {
    handler = names.reduce((found, name) => found?.[name], await loadModule(taskRoot, moduleDir, moduleName));
  } catch (error) {
    if (error instanceof SyntaxError) error.errorType = 'Runtime.UserCodeSyntaxError';
    else if (['MODULE_NOT_FOUND', 'ERR_MODULE_NOT_FOUND'].includes(error?.code)) {
      error.errorType = 'Runtime.ImportModuleError';
    }
    throw error;
  }
  if (typeof handler !== 'function') {
    throw Object.assign(
      new HandlerError(`${moduleDir}${moduleName}.${names.join('.')} is undefined or not exported`),
      { errorType: 'Runtime.HandlerNotFound' }
    );
  }
  return handler;
}

// --- one invocation -----------------------------------------------------------------------

function contextFor(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const env = process.env;
  const parsed = (value) => (value ? JSON.parse(value) : undefined);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parsed(headers['lambda-runtime-cognito-identity']),
    clientContext: parsed(headers['lambda-runtime-client-context']),
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

// Resolves once the invocation's outcome has been posted. How the handler ends it:
// - a returned promise settles: posted at once;
// - callback(error, result): posted when the event loop is empty, or at once if the
//   handler set context.callbackWaitsForEmptyEventLoop = false;
// - context.succeed/fail/done (the older style): posted at once;
// - none of these before the event loop is empty: the result is null.
function invoke(handler, requestId, event, context) {
  return new Promise((finished) => {
    let outcome; // [error, result] once the handler has given one
    let posted = false;
    const post = () => {
      if (posted) return;
      posted = true;
      process.removeListener('beforeExit', post);
      const [error, result] = outcome || [null, undefined];
      let sent;
      if (error !== null && error !== undefined) {
        const json = errorJson(error);
        logError('Invoke Error', json);
        sent = postError(`/invocation/${requestId}/error`, json);
      } else {
        let body;
        try {
          body = JSON.stringify(result === undefined ? null : result);
        } catch (unserializable) {
          const json = errorJson(unserializable);
          logError('Invoke Error', json);
          sent = postError(`/invocation/${requestId}/error`, json);
        }
        sent ??= call('POST', `/invocation/${requestId}/response`, body);
      }
      sent.then(finished, finished);
    };
    const settle = (waitForEmptyLoop) => (error, result) => {
      if (outcome) return; // only the first outcome counts
      outcome = [error, result];
      if (!waitForEmptyLoop()) post();
    };
    const callback = settle(() => context.callbackWaitsForEmptyEventLoop);
    const now = settle(() => false);
    Object.assign(context, {
      succeed: (result) => now(null, result),
      fail: (error) => now(error ?? 'handled'),
      done: (error, result) => now(error, result),
    });
    process.on('beforeExit', post);
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === 'function') {
        returned.then((result) => now(null, result), (error) => now(error ?? 'handled'));
      }
    } catch (error) {
      now(error);
    }
  });
}

// --- errors outside any promise or callback: reported, then the environment ends ---------

let ending = false;
function fatal(json) {
  if (ending) return; // a failure while reporting one: the exit below is on its way
  ending = true;
  const kind = json.errorType === 'Runtime.UnhandledPromiseRejection' ? 'Unhandled Promise Rejection' : 'Uncaught Exception';
  logError(kind, json);
  const sent = inFlight ? postError(`/invocation/${inFlight}/error`, json) : Promise.resolve();
  sent.catch(() => {}).finally(() => process.exit(129));
}

process.on('uncaughtException', (error) => fatal(errorJson(error)));
process.on('unhandledRejection', (reason) => {
  const json = errorJson(reason);
  fatal({ ...json, errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: `${reason}` });
});
// Nobody reads the logs or answers the Runtime API any more: the stack is gone.
process.stdout.on('error', () => process.exit(1));

// --- the loop -----------------------------------------------------------------------------

async function main() {
  const handlerName = process.argv[2] || process.env._HANDLER;
  let handler;
  try {
    handler = await loadHandler(handlerName, process.env.LAMBDA_TASK_ROOT || process.cwd());
  } catch (error) {
    await failInit(error);
    return;
  }
  for (;;) {
    const next = await call('GET', '/invocation/next').catch(() => process.exit(1));
    const requestId = next.headers['lambda-runtime-aws-request-id'];
    process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'] || '';
    currentRequestId = requestId;
    let event;
    try {
      event = JSON.parse(next.body);
    } catch (error) {
      await postError(`/invocation/${requestId}/error`, errorJson(error, 'Runtime.UnmarshalError'));
      continue;
    }
    inFlight = requestId;
    await invoke(handler, requestId, event, contextFor(next.headers));
    inFlight = undefined;
  }
}

main();
