// Structured logs: one JSON object per line on stdout.
//
// Lambda sends stdout to CloudWatch Logs, where Logs Insights reads JSON lines field by field.
// process.stdout.write is used instead of console.log because Lambda's Node.js runtime puts
// a text prefix (time, request id, level) in front of console output, which would stop the
// line from being JSON. The fields and their order are those of the Python handlers' lines.
//
// Never pass a token, a query string or a headers object to these functions.

/**
 * Write one log line: timestamp, level, event name, then `fields` as given.
 * @param {'INFO' | 'WARNING' | 'ERROR'} level
 * @param {string} event
 * @param {Record<string, unknown>} [fields]
 */
export function logJson(level, event, fields = {}) {
  const record = {
    // The Python handlers' format: ISO 8601 with milliseconds and an explicit +00:00.
    timestamp: new Date().toISOString().replace('Z', '+00:00'),
    level,
    event,
    ...fields,
  };
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

/**
 * Milliseconds since `started`, a `performance.now()` value, to 0.01 ms.
 * @param {number} started
 * @returns {number}
 */
export function elapsedMs(started) {
  return Math.round((performance.now() - started) * 100) / 100;
}
