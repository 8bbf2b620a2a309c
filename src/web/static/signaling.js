// One websocket to /api speaking the envelope of docs/API.md: requests {"a","d"}, replies {"a":"<action>R","s",...}
// and events {"a","d"}. It knows nothing of rooms or media: Call (call.js) gives the messages their meaning.

// The error codes of docs/API.md, so that the person reads a name, not only a number.
const codeNames = new Map([
  [1280, 'internal server error'],
  [1282, 'malformed message'],
  [1283, 'a required field is missing'],
  [1286, 'authentication failed (bad or expired bearer)'],
  [1296, 'unknown action'],
  [1297, 'not joined'],
  [1298, 'unknown participant'],
  [1315, 'already joined'],
  [1316, 'the room is full'],
  [1317, 'unknown or expired socketId'],
  [1320, 'the server cannot read the SDP'],
  [1330, 'already negotiated'],
  [1331, 'rate limited: too many messages'],
  [1332, 'too many events missed while away'],
  [1333, 'the media server is not available'],
  [1334, 'a field has an invalid value'],
  [1335, 'the server is about to stop: join another one'],
  [1344, 'the media server cannot use this description (codecs or transport)'],
  [1345, 'the media server has not offered this stream (a new offer follows)'],
  [1346, 'the media server has no room for another connection now'],
]);

export function describeCode(code) {
  return `${codeNames.get(code) ?? 'error'} (${code})`;
}

// ApiError is a request answered {"s":false,"e":code}.
export class ApiError extends Error {
  constructor(action, code) {
    super(`${action}: ${describeCode(code)}`);
    this.action = action;
    this.code = code;
  }
}

const requestTimeoutMs = 10000;

export class Signaling {
  // handlers: onEvent(msg), onStrayReply(action, msg) for replies nobody awaits, onClose({code, reason}).
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.ws = null;
    // Replies come in request order for each action, so a FIFO per action pairs them with their request.
    this.pending = new Map();
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      const timer = setTimeout(() => {
        ws.onopen = ws.onclose = null;
        ws.close();
        reject(new Error(`cannot reach ${this.url}: timeout`));
      }, requestTimeoutMs);
      ws.onopen = () => {
        clearTimeout(timer);
        ws.onclose = (e) => this.closed(e);
        resolve();
      };
      ws.onclose = (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot reach ${this.url} (websocket close ${e.code})`));
      };
      ws.onmessage = (e) => this.receive(e.data);
    });
  }

  // request sends an action and resolves with the reply's d, or rejects with ApiError.
  request(action, data) {
    return new Promise((resolve, reject) => {
      if (!this.send(action, data)) {
        reject(new Error(`${action}: not connected`));
        return;
      }
      const entry = { resolve, reject };
      entry.timer = setTimeout(() => {
        const queue = this.pending.get(action) ?? [];
        const i = queue.indexOf(entry);
        if (i >= 0) queue.splice(i, 1);
        reject(new Error(`${action}: no answer from the server`));
      }, requestTimeoutMs);
      if (!this.pending.has(action)) this.pending.set(action, []);
      this.pending.get(action).push(entry);
    });
  }

  // send sends without waiting for the reply (an error reply reaches onStrayReply). False when not open.
  send(action, data) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(data === undefined ? { a: action } : { a: action, d: data }));
    return true;
  }

  // close sends a close frame: for the server this means leaving the room (docs/API.md, Connection rules).
  close() {
    this.detach();
    if (this.ws) this.ws.close(1000);
  }

  // detach drops the websocket without a close frame going out from here, so the server keeps our place (reconnect
  // replaces it). No handler is called afterwards.
  detach() {
    this.handlers = { onEvent() {}, onStrayReply() {}, onClose() {} };
    this.failPending(new Error('connection replaced'));
    if (this.ws) this.ws.onclose = this.ws.onmessage = null;
  }

  receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      this.handlers.onStrayReply('general', { s: false, e: 1282, text: 'unreadable message from the server' });
      return;
    }
    if (msg === null || typeof msg !== 'object' || typeof msg.a !== 'string') return;
    if (typeof msg.s !== 'boolean' || !msg.a.endsWith('R')) {
      this.handlers.onEvent(msg);
      return;
    }
    const action = msg.a.slice(0, -1);
    const entry = this.pending.get(action)?.shift();
    if (!entry) {
      this.handlers.onStrayReply(action, msg);
      return;
    }
    clearTimeout(entry.timer);
    if (msg.s) entry.resolve(msg.d ?? {});
    else entry.reject(new ApiError(action, msg.e));
  }

  closed(e) {
    this.failPending(new Error(`connection closed (${e.code})`));
    this.handlers.onClose({ code: e.code, reason: e.reason });
  }

  failPending(err) {
    for (const queue of this.pending.values()) {
      for (const entry of queue) {
        clearTimeout(entry.timer);
        entry.reject(err);
      }
    }
    this.pending.clear();
  }
}
