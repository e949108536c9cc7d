// Read-only views over the events API Gateway hands to the handlers. Fields that AWS leaves
// out in some events (`headers` on MESSAGE, `queryStringParameters` without a query string,
// `body` outside MESSAGE) come back as empty values instead of throwing.

/**
 * @param {unknown} value
 * @returns {Record<string, unknown>}
 */
const mapping = (value) =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? /** @type {Record<string, unknown>} */ (value)
    : {};

/**
 * @param {unknown} value
 * @returns {string | null}
 */
const stringOrNull = (value) => (typeof value === 'string' ? value : null);

/** A CONNECT, MESSAGE or DISCONNECT event from a Lambda proxy integration. */
export class WebSocketEvent {
  /** @param {Record<string, unknown>} raw */
  constructor(raw) {
    this.raw = mapping(raw);
    this.context = mapping(this.raw.requestContext);
  }

  /** The connection's id, the key of its item in the connections table. */
  get connectionId() {
    return String(this.context.connectionId ?? '');
  }

  /** The route API Gateway chose: `$connect`, `sendmessage`, `$default`, ... */
  get routeKey() {
    return String(this.context.routeKey ?? '');
  }

  /** `CONNECT`, `MESSAGE` or `DISCONNECT`. */
  get eventType() {
    return String(this.context.eventType ?? '');
  }

  /** API Gateway's id for this request, to match our logs with its access logs. */
  get requestId() {
    return String(this.context.requestId ?? '');
  }

  /** When the connection was opened, epoch milliseconds (the same on every event). */
  get connectedAtMs() {
    const value = this.context.connectedAt;
    return Number.isInteger(value) ? /** @type {number} */ (value) : null;
  }

  /** The @connections API base URL for this connection's API and stage. */
  get managementEndpoint() {
    return `https://${this.context.domainName ?? ''}/${this.context.stage ?? ''}`;
  }

  /** The text of the frame the client sent (MESSAGE events only). */
  get body() {
    return stringOrNull(this.raw.body);
  }

  /** The user name our authorizer put in its `context`, if an authorizer ran. */
  get authorizerUser() {
    return stringOrNull(mapping(this.context.authorizer).user) || null;
  }

  /**
   * A request header by case-insensitive name (clients choose the case).
   * @param {string} name
   */
  header(name) {
    const wanted = name.toLowerCase();
    for (const [key, value] of Object.entries(mapping(this.raw.headers))) {
      if (key.toLowerCase() === wanted && typeof value === 'string') return value;
    }
    return null;
  }

  /**
   * A query-string parameter (the last value when repeated, as AWS gives it).
   * @param {string} name
   */
  query(name) {
    return stringOrNull(mapping(this.raw.queryStringParameters)[name]);
  }
}

/** The event of a REQUEST authorizer attached to the `$connect` route. */
export class AuthorizerEvent {
  /** @param {Record<string, unknown>} raw */
  constructor(raw) {
    this.raw = mapping(raw);
    this.context = mapping(this.raw.requestContext);
  }

  /** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect`. */
  get methodArn() {
    return String(this.raw.methodArn ?? '');
  }

  /** The id the connection will have if it is allowed. */
  get connectionId() {
    return String(this.context.connectionId ?? '');
  }

  /** API Gateway's id for this request. */
  get requestId() {
    return String(this.context.requestId ?? '');
  }

  /**
   * A query-string parameter; browsers cannot set headers on WebSocket upgrades.
   * @param {string} name
   */
  query(name) {
    return stringOrNull(mapping(this.raw.queryStringParameters)[name]);
  }
}
