// A browser client for the chat of lambda_src/ (its README has the protocol): one
// WebSocket, one room at a time. Messages are kept by their per-room `seq` and shown in
// that order; a gap in the numbers is filled with the "history" action, and shown as a
// gap where the chat cannot fill it. No dependencies, no build step: it works offline.
"use strict";

// Posts to one room run concurrently, so #5 may overtake #4 by a few milliseconds: a gap
// is only asked about once it has lasted this long.
const GAP_GRACE_MS = 400;
const HISTORY_TIMEOUT_MS = 5000;
const HISTORY_LIMIT = 100;
const MAX_NOTICES = 50;
// What the chat's $default answers to an action it has no (deployed) route for.
const NO_ROUTE_ERRORS = new Set(["unknown_action", "route_not_deployed"]);
// API Gateway's own frames carry a "message" and no "type".
const GATEWAY_HINTS = {
  "Forbidden": "no route matches the action and the API has no $default route, " +
    "or the route was added after the last deployment",
  "Internal server error": "the function behind the route failed or may not be invoked; " +
    "its log group says why",
  "Endpoint request timed out": "the function took longer than the integration's timeout",
};
const CLOSE_MEANINGS = {
  1000: "ended on purpose (an @connections DELETE, or Disconnect here)",
  1001: "the server went down or ended the connection (API Gateway ends connections " +
    "idle for 10 minutes, and any after 2 hours): connect again",
  1003: "the chat takes text frames only",
  1006: "lost without a close frame (the server stopped, or the network dropped)",
  1009: "a frame over 32 KB or a message over 128 KB",
};

const $ = (selector) => document.querySelector(selector);
const forms = { connect: $("#connect"), join: $("#join"), send: $("#send") };

let socket = null;
let you = null;
let current = null;     // the room joined: see freshRoom
let joining = null;     // the room asked for ("": the URL's), until its "joined" arrives
let early = [];         // messages of that room that arrived before "joined"
let asked = null;       // the history request waiting for its answer
let gapTimer = null;
let historyRoute = true; // false once the chat has said it has no "history" route

function freshRoom(name) {
  // floor: the first seq shown (older messages are not asked for); top: the highest known.
  return { name, messages: new Map(), lost: new Map(), floor: 1, top: 0 };
}

// --- connecting -------------------------------------------------------------------------

function connect() {
  const fields = forms.connect.elements;
  let target;
  try {
    // A bare path (/user/me/proxy/4577/abc123/dev, as behind a Jupyter server's proxy) is
    // on this page's own host: ws: beside http:, wss: beside https:.
    const value = fields.url.value.trim();
    target = value.startsWith("/")
      ? new URL(value, location.href.replace(/^http/, "ws"))
      : new URL(value);
    if (target.protocol !== "ws:" && target.protocol !== "wss:") throw new Error();
  } catch {
    notice("error", `not a WebSocket URL: "${fields.url.value}" (it starts with ws:// or wss://)`);
    return;
  }
  const shown = target.href;
  // Browsers cannot set headers on a WebSocket upgrade: the room and the token travel in
  // the query string, where the chat's $connect and authorizer read them.
  const room = roomName(fields.room.value);
  const token = fields.token.value.trim();
  if (room) target.searchParams.set("roomId", room);
  if (token) target.searchParams.set("token", token);
  if (socket) socket.close(1000);
  const ws = new WebSocket(target.href);
  socket = ws;
  let opened = false;
  current = null;
  joining = room;
  status("connecting", `connecting to ${shown}…`);
  ws.onopen = () => {
    opened = true;
    status("open", `connected to ${shown}`);
    enable(true);
    send({ action: "joinroom" });  // stay in the URL's room, and get its history
  };
  ws.onmessage = (event) => { if (ws === socket) receive(event.data); };
  ws.onclose = (event) => {
    if (ws !== socket) return;
    socket = null;
    enable(false);
    if (opened) {
      const meaning = CLOSE_MEANINGS[event.code] || "";
      const reason = event.reason ? ` "${event.reason}"` : "";
      status("closed", `closed: ${event.code}${reason}`);
      notice("error", `the connection closed (${event.code}${reason})` +
        (meaning ? `: ${meaning}` : ""));
    } else {
      status("closed", "could not connect");
      notice("error", `could not connect to ${shown}. A browser does not say why: the ` +
        `token may have been refused or have expired${tokenExpiry(token)}, the URL may be ` +
        "wrong, or the chat may not be running. `wslab chat` with the same URL and token " +
        "prints the reason.");
    }
  };
}

function send(request) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(request));
}

// --- what arrives -----------------------------------------------------------------------

function receive(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    notice("error", `not JSON: ${text}`);
    return;
  }
  if (frame === null || typeof frame !== "object") return notice("error", `unexpected: ${text}`);
  switch (frame.type) {
    case "joined": return joined(frame);
    case "message": return message(frame);
    case "history": return historyAnswer(frame);
    case "error": return chatError(frame);
  }
  if (typeof frame.message === "string") return gatewayError(frame);
  notice("error", `an answer the page does not know: ${text}`);
}

function joined(frame) {
  current = freshRoom(frame.room);
  you = frame.you;
  const history = Array.isArray(frame.history) ? frame.history : [];
  const lastSeq = Number.isInteger(frame.lastSeq) ? frame.lastSeq : 0;
  current.floor = history.length ? history[0].seq : lastSeq + 1;
  current.top = lastSeq;
  // A live message may come before "joined", and also be in its history: keep() drops
  // the second copy.
  for (const item of [...history, ...early.filter((m) => m.room === frame.room)]) keep(item);
  early = [];
  joining = null;
  $("#room-name").textContent = frame.room;
  $("#you").textContent = frame.you;
  forms.connect.elements.room.value = frame.room;
  rememberRoom(frame.room);
  render();
  checkGaps();
}

function message(frame) {
  if (joining !== null && (joining === "" || frame.room === joining)) {
    early.push(frame);
    return;
  }
  if (!current || frame.room !== current.name) return;  // a late one from the room we left
  keep(frame);
  render();
  checkGaps();
}

function keep(item) {
  if (!item || !Number.isInteger(item.seq) || item.seq < 1) return;
  if (current.messages.has(item.seq)) return;  // a duplicate
  current.messages.set(item.seq, item);
  current.lost.delete(item.seq);
  current.top = Math.max(current.top, item.seq);
}

function chatError(frame) {
  if (frame.error === "invalid_room") {  // the join was refused: we stay where we are
    joining = null;
    early = [];
  }
  if (asked && NO_ROUTE_ERRORS.has(frame.error)) {
    historyRoute = false;
    giveUp(`this chat has no history route (it answered ${frame.error})`);
  }
  const valid = Array.isArray(frame.validActions) ? frame.validActions.join(", ") : "";
  const example = frame.examples ? JSON.stringify(Object.values(frame.examples)[0]) : "";
  notice("error", `${frame.error}: ${frame.message}`,
    valid ? `valid actions: ${valid}${example ? `; for example ${example}` : ""}` : "");
}

function gatewayError(frame) {
  if (asked && frame.message === "Forbidden") {
    historyRoute = false;
    giveUp("this chat has no history route (API Gateway answered Forbidden)");
  }
  const hint = GATEWAY_HINTS[frame.message];
  const request = frame.requestId ? ` (request ${frame.requestId})` : "";
  notice("error", `API Gateway: ${frame.message}${request}`, hint || "");
}

// --- gaps -------------------------------------------------------------------------------

function missing() {
  const seqs = [];
  if (!current) return seqs;
  for (let seq = current.floor; seq <= current.top; seq++) {
    if (!current.messages.has(seq) && !current.lost.has(seq)) seqs.push(seq);
  }
  return seqs;
}

function checkGaps() {
  if (asked || gapTimer || !missing().length) return;
  gapTimer = setTimeout(() => {
    gapTimer = null;
    askForHistory();
  }, GAP_GRACE_MS);
}

function askForHistory() {
  const gaps = missing();
  if (!gaps.length) return;
  const first = gaps[0];
  if (!historyRoute) {
    for (const seq of gaps) current.lost.set(seq, "this chat has no history route");
    render();
    return;
  }
  const limit = Math.min(HISTORY_LIMIT, current.top - first + 1);
  asked = { room: current.name, first, last: first + limit - 1 };
  asked.timer = setTimeout(() => giveUp("the chat did not answer the history request"),
    HISTORY_TIMEOUT_MS);
  send({ action: "history", roomId: current.name, sinceSeq: first - 1, limit });
  render();
}

function historyAnswer(frame) {
  const request = asked;
  if (request) clearTimeout(request.timer);
  asked = null;
  if (!current || frame.room !== current.name) return;
  for (const item of Array.isArray(frame.messages) ? frame.messages : []) keep(item);
  if (Number.isInteger(frame.latestSeq)) current.top = Math.max(current.top, frame.latestSeq);
  if (request && request.room === current.name) {
    for (let seq = request.first; seq <= request.last; seq++) {
      if (!current.messages.has(seq)) current.lost.set(seq, "no longer in the room's history");
    }
  }
  render();
  checkGaps();
}

function giveUp(why) {
  if (!asked) return;
  clearTimeout(asked.timer);
  if (current && asked.room === current.name) {
    for (let seq = asked.first; seq <= asked.last; seq++) {
      if (!current.messages.has(seq)) current.lost.set(seq, why);
    }
  }
  asked = null;
  render();
}

// --- showing ----------------------------------------------------------------------------

function render() {
  const list = $("#messages");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.replaceChildren();
  if (!current) return;
  const first = Math.min(current.floor, ...current.messages.keys());
  let gap = null;  // a run of missing seqs with one reason: {from, to, why}
  const closeGap = () => {
    if (gap) list.append(gapItem(gap));
    gap = null;
  };
  for (let seq = first; seq <= current.top; seq++) {
    const item = current.messages.get(seq);
    if (item) {
      closeGap();
      list.append(messageItem(item));
      continue;
    }
    const why = current.lost.get(seq) || (asked ? "asking the chat for them" : "on their way");
    if (gap && gap.why === why) gap.to = seq;
    else {
      closeGap();
      gap = { from: seq, to: seq, why };
    }
  }
  closeGap();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function messageItem(item) {
  const li = element("li", item.sender === you ? "message mine" : "message");
  li.dataset.seq = item.seq;
  const sent = new Date(item.sentAt);
  const time = element("time", "", isNaN(sent) ? "" : sent.toLocaleTimeString());
  time.dateTime = item.sentAt || "";
  li.append(element("span", "seq", `#${item.seq} `), element("span", "sender", item.sender),
    ": ", element("span", "text", item.text), time);
  return li;
}

function gapItem(gap) {
  const range = gap.from === gap.to ? `#${gap.from}` : `#${gap.from}–#${gap.to}`;
  const li = element("li", "gap", `message${gap.from === gap.to ? "" : "s"} ${range} ` +
    `missing: ${gap.why}`);
  li.dataset.from = gap.from;
  li.dataset.to = gap.to;
  return li;
}

function notice(kind, text, detail = "") {
  const li = element("li", kind, text);
  if (detail) li.append(element("br"), element("code", "", detail));
  const list = $("#notices");
  list.append(li);
  while (list.children.length > MAX_NOTICES) list.firstElementChild.remove();
}

function element(tag, className = "", text = "") {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;  // text, never HTML: messages come from anyone
  return node;
}

function status(state, text) {
  const line = $("#status");
  line.dataset.state = state;
  line.textContent = text;
}

function enable(open) {
  forms.join.elements.join.disabled = !open;
  forms.send.elements.send.disabled = !open;
  forms.connect.elements.disconnect.disabled = !open;
}

// --- the token and the link -------------------------------------------------------------

function claims(token) {
  // The payload of a JWT, decoded to show who it names and until when; only the
  // authorizer checks it.
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - part.length % 4) % 4)));
  } catch {
    return null;
  }
}

function tokenExpiry(token) {
  const found = token && claims(token);
  if (!found || !Number.isInteger(found.exp)) return "";
  return ` (this one ${found.exp * 1000 < Date.now() ? "expired" : "expires"} at ` +
    `${new Date(found.exp * 1000).toLocaleTimeString()})`;
}

function showTokenInfo() {
  const token = forms.connect.elements.token.value.trim();
  const found = token && claims(token);
  $("#token-info").textContent = found && found.sub
    ? `a token for ${found.sub}; it lets a connection open until ` +
      `${new Date(found.exp * 1000).toLocaleTimeString()}`
    : "";
}

function rememberRoom(room) {
  // So that reloading the page comes back to this room.
  const params = new URLSearchParams(location.hash.slice(1));
  params.set("room", room);
  history.replaceState(null, "", `#${params}`);
}

// --- wiring -----------------------------------------------------------------------------

// A room name as the chat keeps it: NFC, so "n" + a combining tilde and "ñ" are one room
// (and "joined" names the room exactly as it was asked for). The chat checks the rest.
function roomName(typed) {
  return typed.trim().normalize("NFC");
}

forms.connect.addEventListener("submit", (event) => {
  event.preventDefault();
  connect();
});
forms.connect.elements.disconnect.addEventListener("click", () => {
  if (socket) socket.close(1000);
});
forms.connect.elements.token.addEventListener("input", showTokenInfo);
forms.join.addEventListener("submit", (event) => {
  event.preventDefault();
  joining = roomName(forms.join.elements.room.value);
  send({ action: "joinroom", roomId: joining });
  forms.join.reset();
});
forms.send.addEventListener("submit", (event) => {
  event.preventDefault();
  send({ action: "sendmessage", data: forms.send.elements.text.value });
  forms.send.reset();
});

// The demo's link carries where to connect in its fragment, which the browser never sends
// to a server: #url=ws://...&room=lobby&token=...
const given = new URLSearchParams(location.hash.slice(1));
for (const name of ["url", "token", "room"]) {
  if (given.get(name)) forms.connect.elements[name].value = given.get(name);
}
showTokenInfo();
if (given.get("url")) connect();
