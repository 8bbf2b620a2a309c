// Call is one participation in a room: join, the events of docs/API.md, leave, and getting the place back after a
// network drop (reconnect within the server's grace period, or a fresh join when the place is gone).

import { McuMedia, publisherId } from './mcu.js';
import { applyConfiguration, openCamera, stopStream } from './media.js';
import { RelayMesh } from './relay.js';
import { ApiError, Signaling, describeCode } from './signaling.js';
import { summarize } from './stats.js';

export const clientVersion = '1';

const keptErrors = 100;
const keptEvents = 300;
const outboxLimit = 500;
// Error codes after which trying again cannot help.
const finalCodes = new Set([1286, 1316, 1334]);

// ui receives what the person sees: state(state, text), status(text), error(text) (returns a function that takes
// the error down), notice(text), local(stream),
// remote(id, fields), remoteStream(id, stream), removeRemote(id), clear(), needBearer(). See ui.js.
export class Call {
  // options: room, user, bearer (empty: ask the server's dev mode for one), recvonly, codec, orientation.
  constructor(options, ui) {
    this.options = options;
    this.ui = ui;
    this.state = 'idle';
    // generation changes on every join and leave, so that an older join or reconnect that resumes late gives up.
    this.generation = 0;
    this.sig = null;
    this.outbox = [];
    this.engine = null;
    this.early = [];
    this.local = null;
    this.remotes = new Map();
    this.socketId = '';
    this.userId = '';
    this.mode = '';
    this.orientation = options.orientation;
    this.reconnects = 0;
    this.rejoins = 0;
    this.errors = [];
    this.events = [];
    this.eventCount = 0;
  }

  // join joins the room once; a failure is shown and leaves the call idle.
  async join() {
    if (this.state !== 'idle') return;
    const gen = ++this.generation;
    this.setState('joining');
    try {
      await this.enter(gen);
    } catch (err) {
      if (gen !== this.generation) return;
      this.error(`cannot join: ${err.message}`);
      this.sig?.close();
      this.sig = null;
      this.teardown();
    }
  }

  async leave() {
    if (this.state === 'idle') return;
    this.generation++;
    const sig = this.sig;
    this.sig = null;
    if (sig) {
      await sig.request('leave').catch(() => {});
      sig.close();
    }
    this.teardown();
  }

  setOrientation(degrees) {
    this.orientation = degrees;
    if (this.state === 'joined') this.send('orientationChange', { orientation: degrees, camera: 'front' });
  }

  // networkBack replaces the websocket after the browser went offline and came back: the old one may be dead
  // without knowing it yet.
  async networkBack() {
    if (this.state !== 'joined') return;
    const old = this.sig;
    old.detach();
    await this.reconnect(this.generation);
    // After a reconnect the server has closed the old websocket already; otherwise the place is gone anyway.
    old.close();
  }

  // enter opens a websocket, joins and starts the media.
  async enter(gen) {
    const bearer = await this.bearer();
    const sig = await this.connect(gen);
    const d = await sig.request('join', this.joinData(bearer));
    if (gen !== this.generation) return;
    this.joined(d);
    await this.startMedia(gen, d);
  }

  // joined takes joinR. It runs before any later message is read, so the engine exists for them.
  joined(d) {
    this.socketId = d.socketId;
    this.userId = d.userId;
    this.mode = d.mode;
    for (const s of d.sessions ?? []) this.remote(s.socketId, s.userId);
    const view = {
      stream: (id, stream) => this.ui.remoteStream(id, stream),
      state: (id, state) => this.remoteState(id, state),
      error: (text) => this.error(text),
      notice: (text) => this.ui.notice(text),
      name: (id) => this.name(id),
    };
    const send = (action, data) => this.send(action, data);
    this.engine = d.mode === 'relay'
      ? new RelayMesh(send, view, this.options.codec)
      : new McuMedia(send, view, this.options.codec, this.options.degradation, this.options.repair ?? true);
    this.setState('joined');
    const early = this.early;
    this.early = [];
    for (const msg of early) this.media(msg);
  }

  async startMedia(gen, d) {
    const engine = this.engine;
    if (!this.local && !this.options.recvonly) {
      try {
        this.local = await openCamera(d.userMediaConfiguration);
      } catch (err) {
        this.error(`camera or microphone unavailable (${err.name}: ${err.message}): receiving only`);
      }
      if (gen !== this.generation) {
        stopStream(this.local);
        this.local = null;
        return;
      }
    }
    // A rejoin while the camera was opening has built another engine, which starts on its own.
    if (this.engine !== engine) return;
    this.ui.local(this.local);
    const sessions = (d.sessions ?? []).filter((s) => this.remotes.has(s.socketId));
    engine.start(this.local, sessions);
  }

  async connect(gen) {
    const sig = new Signaling(apiURL(), {
      onEvent: (msg) => sig === this.sig && this.onEvent(msg),
      onStrayReply: (action, msg) => sig === this.sig && this.onStrayReply(action, msg),
      onClose: (e) => sig === this.sig && this.onClose(e),
    });
    await sig.open();
    if (gen !== this.generation) {
      sig.close();
      throw new Error('cancelled');
    }
    this.sig = sig;
    return sig;
  }

  async bearer() {
    if (this.options.bearer) return this.options.bearer;
    const q = new URLSearchParams({ userId: this.options.user, roomId: this.options.room });
    const res = await fetch(`/dev/token?${q}`, { cache: 'no-store' });
    if (res.status === 404) {
      this.ui.needBearer();
      throw new Error('this server is not in dev mode: paste a bearer (JWT) into the Bearer field');
    }
    if (!res.ok) throw new Error(`dev token: HTTP ${res.status} ${(await res.text()).trim()}`);
    const body = await res.json();
    if (typeof body.bearer !== 'string') throw new Error('dev token: no bearer in the answer');
    return body.bearer;
  }

  joinData(bearer) {
    return {
      roomId: this.options.room,
      bearer,
      platform: 'Web',
      deviceName: clip(navigator.platform || 'browser'),
      networkType: navigator.connection?.type === 'cellular' ? 'mobile' : 'wifi',
      version: clip(browserVersion()),
      appVersion: clientVersion,
      orientation: this.orientation,
      camera: 'front',
    };
  }

  // send is how the media engines talk to the server. While the websocket is down their messages wait.
  send(action, data) {
    if (this.state === 'joined' && this.sig?.send(action, data)) return;
    if (this.outbox.length >= outboxLimit) {
      this.error(`too many messages waiting for the connection: ${action} dropped`);
      return;
    }
    this.outbox.push([action, data]);
  }

  onEvent(msg) {
    this.eventCount++;
    this.events.push({ a: msg.a, from: msg.d?.from?.userId ?? msg.d?.userId ?? '' });
    if (this.events.length > keptEvents) this.events.shift();
    const d = msg.d ?? {};
    switch (msg.a) {
      case 'eventOrientationChange':
        if (d.from) this.remote(d.from.socketId, d.from.userId, { orientation: d.orientation, camera: d.camera });
        return;
      case 'eventUserMediaConfiguration':
        applyConfiguration(this.local, d).catch((err) => this.ui.notice(`camera kept its size: ${err.message}`));
        return;
      case 'eventLeave':
        this.ui.notice(`${this.name(d.socketId)} left`);
        this.engine?.remove(d.socketId);
        this.remotes.delete(d.socketId);
        this.ui.removeRemote(d.socketId);
        return;
      case 'eventExchangeSdp':
      case 'eventExchangeCandidate':
      case 'eventWebrtcUp':
      case 'eventWebrtcDown':
        if (d.from?.socketId && d.from.socketId !== publisherId) this.remote(d.from.socketId, d.from.userId);
        if (this.engine) this.media(msg);
        else this.early.push(msg);
        return;
      case 'eventMessage':
        this.ui.notice(`message from ${d.from?.userId}: ${JSON.stringify(d.message)}`);
        return;
      default:
        // An event of a newer server: shown in the activity log, never guessed at.
        this.ui.notice(`${msg.a}: ${JSON.stringify(d)}`.slice(0, 300));
    }
  }

  media(msg) {
    const d = msg.d ?? {};
    if (typeof d.from?.socketId !== 'string') return;
    switch (msg.a) {
      case 'eventExchangeSdp':
        this.engine.onSdp(d.from, d.sdp);
        return;
      case 'eventExchangeCandidate':
        this.engine.onCandidate(d.from, d.candidate);
        return;
      case 'eventWebrtcUp':
        this.engine.onWebrtcUp(d.from);
        return;
      case 'eventWebrtcDown':
        this.engine.onWebrtcDown(d.from, String(d.reason ?? ''), String(d.phase ?? ''));
    }
  }

  onStrayReply(action, msg) {
    if (!msg.s) this.error(`${action}: ${msg.text ?? describeCode(msg.e)}`);
  }

  onClose({ code, reason }) {
    if (this.state !== 'joined') return;
    if (code === 1008 && reason === 'replaced by reconnect') {
      this.error('another connection took over this participant');
      this.generation++;
      this.sig = null;
      this.teardown();
      return;
    }
    if (code === 1001) {
      this.ui.notice('the server is shutting down: joining again');
      this.rejoin(this.generation);
      return;
    }
    this.ui.notice(`connection lost (${code}${reason ? ` ${reason}` : ''}): reconnecting`);
    this.reconnect(this.generation);
  }

  // reconnect takes our place back on a new websocket, retrying until it works, the place is gone, or the person
  // leaves.
  async reconnect(gen) {
    this.sig = null;
    this.setState('reconnecting');
    for (let attempt = 0; gen === this.generation; attempt++) {
      await sleep(backoff(attempt));
      if (gen !== this.generation) return;
      try {
        const bearer = await this.bearer();
        const sig = await this.connect(gen);
        await sig.request('reconnect', { socketId: this.socketId, bearer });
        if (gen !== this.generation) return;
        this.reconnects++;
        this.setState('joined');
        this.flush();
        this.engine.resume();
        return;
      } catch (err) {
        if (gen !== this.generation) return;
        this.sig?.close();
        this.sig = null;
        if (err instanceof ApiError && (err.code === 1317 || err.code === 1332)) {
          this.ui.notice('our place in the room is gone: joining again');
          this.rejoin(gen);
          return;
        }
        if (err instanceof ApiError && finalCodes.has(err.code)) {
          this.error(`cannot reconnect: ${err.message}`);
          this.generation++;
          this.teardown();
          return;
        }
        this.ui.status(`reconnecting (attempt ${attempt + 1}): ${err.message}`);
      }
    }
  }

  // rejoin joins again as a newcomer (new socketId) after our place was lost, keeping the camera open.
  async rejoin(gen) {
    this.sig = null;
    this.dropMedia();
    this.setState('joining');
    for (let attempt = 0; gen === this.generation; attempt++) {
      await sleep(backoff(attempt));
      if (gen !== this.generation) return;
      try {
        await this.enter(gen);
        this.rejoins++;
        return;
      } catch (err) {
        if (gen !== this.generation) return;
        this.sig?.close();
        this.sig = null;
        this.dropMedia();
        this.setState('joining');
        if (err instanceof ApiError && finalCodes.has(err.code)) {
          this.error(`cannot join again: ${err.message}`);
          this.generation++;
          this.teardown();
          return;
        }
        this.ui.status(`joining again (attempt ${attempt + 1}): ${err.message}`);
      }
    }
  }

  flush() {
    const waiting = this.outbox;
    this.outbox = [];
    for (const [action, data] of waiting) this.send(action, data);
  }

  remote(socketId, userId, fields = {}) {
    const r = this.remotes.get(socketId) ?? { userId, orientation: 90, camera: '', state: 'new' };
    Object.assign(r, { userId: userId || r.userId }, fields);
    this.remotes.set(socketId, r);
    this.ui.remote(socketId, r);
  }

  remoteState(socketId, state) {
    if (socketId === publisherId) {
      this.ui.status(`joined (${this.mode}), upstream ${state}`);
      return;
    }
    if (this.remotes.has(socketId)) this.remote(socketId, '', { state });
  }

  name(socketId) {
    if (socketId === publisherId) return 'upstream';
    return this.remotes.get(socketId)?.userId || String(socketId).slice(0, 8);
  }

  // error shows text to the person, and returns a function that takes it down once the problem is gone.
  error(text) {
    this.errors.push(text);
    if (this.errors.length > keptErrors) this.errors.shift();
    return this.ui.error(text);
  }

  setState(state) {
    this.state = state;
    const joined = `joined room ${this.options.room} as ${this.userId} (${this.mode})`;
    this.ui.state(state, state === 'joined' ? joined : state);
  }

  // dropMedia closes every connection and forgets the room, keeping the camera.
  dropMedia() {
    this.engine?.close();
    this.engine = null;
    this.early = [];
    this.outbox = [];
    this.remotes.clear();
    this.ui.clear();
  }

  teardown() {
    this.dropMedia();
    stopStream(this.local);
    this.local = null;
    this.ui.local(null);
    this.socketId = '';
    this.setState('idle');
  }

  // refreshOverlays shows on each remote video what the browser decodes, from getStats: the resolution, the codec
  // and the bitrate since the last call, so that a person sees the server adapt the stream to the link.
  async refreshOverlays() {
    this.received ??= new Map();
    const now = performance.now();
    for (const c of this.engine?.connections() ?? []) {
      if (c.socketId === publisherId) continue;
      const s = await summarize(c.pc).catch(() => null);
      if (!s) continue;
      const last = this.received.get(c.socketId);
      this.received.set(c.socketId, { bytes: s.bytesReceivedVideo, at: now });
      const kbit = last && now > last.at ? Math.round(((s.bytesReceivedVideo - last.bytes) * 8) / (now - last.at)) : 0;
      const codec = s.codec.replace(/^video\//, '');
      this.ui.overlay(c.socketId, s.frameWidth ? `${s.frameWidth}x${s.frameHeight} ${codec} ${kbit} kbit/s` : '');
    }
  }

  // snapshot is what the report hook posts (see app.js).
  async snapshot() {
    const peers = [];
    let upstream = null;
    for (const c of this.engine?.connections() ?? []) {
      const stats = await summarize(c.pc).catch((err) => ({ statsError: err.message }));
      if (c.socketId === publisherId) upstream = { up: c.up, ...stats };
      else peers.push({ socketId: c.socketId, userId: this.name(c.socketId), up: c.up, ...stats });
    }
    return {
      time: new Date().toISOString(),
      state: this.state,
      joined: this.state === 'joined',
      socketId: this.socketId,
      userId: this.userId,
      roomId: this.options.room,
      mode: this.mode,
      publishing: Boolean(this.local),
      reconnects: this.reconnects,
      rejoins: this.rejoins,
      remotes: [...this.remotes].map(([socketId, r]) => ({ socketId, userId: r.userId, orientation: r.orientation })),
      upstream,
      peers,
      errors: [...this.errors],
      events: [...this.events],
      eventCount: this.eventCount,
    };
  }
}

function apiURL() {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api`;
}

// backoff waits a little longer after each failed attempt, up to 5 s, with jitter so that a room does not come back
// all at once.
function backoff(attempt) {
  if (attempt === 0) return 0;
  return Math.min(5000, 250 * 2 ** attempt) * (0.75 + Math.random() / 2);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function browserVersion() {
  const brand = navigator.userAgentData?.brands?.find((b) => !/not/i.test(b.brand));
  return brand ? `${brand.brand} ${brand.version}` : navigator.userAgent;
}

// clip cuts s to the 128 bytes the server accepts for free-text join fields.
function clip(s) {
  const bytes = new TextEncoder().encode(s);
  return bytes.length <= 128 ? s : new TextDecoder().decode(bytes.slice(0, 125)).replace(/\uFFFD$/, '');
}
