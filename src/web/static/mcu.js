// MCU mode (docs/API.md, Modes): one upstream connection carries our camera to the server (our offer goes to
// "publisher", the answer comes back from "publisher"), and the server offers one downstream connection per other
// participant, which we answer. eventWebrtcUp tells that a stream flows, eventWebrtcDown that one ended (docs/API.md,
// Failures): the upstream is published again, a downstream waits for the server's next offer.

import { preferCodec } from './media.js';
import { Peer } from './peer.js';

// publisherId is the pseudo socketId of the server's upstream end.
export const publisherId = 'publisher';

// republishAttempts bounds the new upstreams tried in a row after eventWebrtcDown, none of them flowing.
const republishAttempts = 5;

// What each reason of eventWebrtcDown means to the person.
const downReasons = new Map([
  ['ice-timeout', 'no network path to the media server (UDP may be blocked)'],
  ['consent-expired', 'the network connection to the media server was lost'],
  ['dtls-timeout', 'the secure connection to the media server did not complete'],
  ['dtls-failed', 'the secure connection to the media server failed'],
  ['peer-closed', 'this browser closed the connection'],
  ['internal-error', 'the media server had an internal error'],
  ['unavailable', 'the media server has no room for it right now'],
  ['moved', 'the call moved to another media server (the previous one failed)'],
]);

// Reasons that concern the video alone: the connection stays and carries the audio (docs/API.md, Failures).
const videoOnlyReasons = new Map([
  ['no-video-codec', 'this browser decodes none of the video codecs the server can send'],
  ['transcoder-busy', 'the media server cannot convert the video for this browser right now'],
]);

function describeDown(reason) {
  return downReasons.get(reason) ?? `an unexpected problem (${reason || 'no reason given'})`;
}

// Reasons after which the server offers a downstream again by itself (docs/API.md, Failures).
const offeredAgain = (reason) => reason !== 'peer-closed' && reason !== 'unavailable';

export class McuMedia {
  // send(action, data) reaches the server; view shows streams, states, errors and notices (see call.js).
  constructor(send, view, codec, degradation, repair) {
    this.send = send;
    this.view = view;
    this.codec = codec;
    this.repair = repair;
    this.degradation = degradation;
    this.upstream = null;
    this.downstream = new Map();
    this.up = new Set();
    this.stream = null;
    // republishes counts the upstreams published again since the last one that flowed.
    this.republishes = 0;
    // failures holds, per socketId ("publisher" for the upstream), the function that takes down the error shown
    // for its connection: one at a time, until the connection flows again or the peer goes.
    this.failures = new Map();
    this.retry = null;
    this.closed = false;
  }

  // start publishes stream upstream; without a stream (receive only) nothing goes up and downstreams still work.
  start(stream) {
    this.stream = stream;
    if (stream) this.publish();
  }

  // publish offers our stream on a new upstream connection.
  publish() {
    const stream = this.stream;
    const peer = this.connection(publisherId);
    this.upstream = peer;
    peer.step(async () => {
      for (const track of stream.getTracks()) {
        const transceiver = peer.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
        preferCodec(transceiver, this.codec, this.repair);
        if (this.degradation && track.kind === 'video') {
          // Chromium also takes its default degradation from the track's content hint.
          if (this.degradation === 'maintain-resolution') track.contentHint = 'detail';
          const params = transceiver.sender.getParameters();
          params.degradationPreference = this.degradation;
          await transceiver.sender.setParameters(params);
        }
      }
      await peer.pc.setLocalDescription(await peer.pc.createOffer());
      this.send('exchangeSdp', { to: publisherId, sdp: peer.pc.localDescription.toJSON() });
    }).catch((err) => this.fail(publisherId, 'publishing', err));
  }

  onSdp(from, sdp) {
    if (from.socketId === publisherId) {
      if (!this.upstream || sdp?.type !== 'answer') {
        this.view.error(`the server sent an unexpected ${sdp?.type} for our upstream`);
        return;
      }
      this.upstream.step(() => this.upstream.setRemote(sdp)).catch((err) => this.fail(publisherId, 'publishing', err));
      return;
    }
    if (sdp?.type !== 'offer') {
      this.view.error(`${from.userId}: unexpected SDP ${sdp?.type} from the server`);
      return;
    }
    // A new offer for a stream we already receive renegotiates it on the same connection, unless that one is dead.
    let peer = this.downstream.get(from.socketId);
    if (peer && peer.failed()) {
      this.remove(from.socketId);
      peer = undefined;
    }
    if (!peer) {
      peer = this.connection(from.socketId);
      this.downstream.set(from.socketId, peer);
    }
    peer.step(async () => {
      await peer.setRemote(sdp);
      for (const t of peer.pc.getTransceivers()) {
        t.direction = 'recvonly';
        preferCodec(t, this.codec, this.repair);
      }
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());
      this.send('exchangeSdp', { to: from.socketId, sdp: peer.pc.localDescription.toJSON() });
    }).catch((err) => this.fail(from.socketId, 'receiving', err));
  }

  onCandidate(from, candidate) {
    const peer = from.socketId === publisherId ? this.upstream : this.downstream.get(from.socketId);
    peer?.step(() => peer.addCandidate(candidate)).catch((err) => this.fail(from.socketId, 'candidate', err));
  }

  onWebrtcUp(from) {
    this.up.add(from.socketId);
    this.view.state(from.socketId, 'flowing');
    if (this.clearFailure(from.socketId)) {
      this.view.notice(from.socketId === publisherId ? 'your camera reaches the server again'
        : `${this.view.name(from.socketId)}'s video comes through again`);
    }
    if (from.socketId === publisherId) this.republishes = 0;
  }

  // onWebrtcDown handles the end of a connection the server reports (docs/API.md, Failures).
  onWebrtcDown(from, reason, phase) {
    const detail = `(${reason || 'no reason'}${phase ? `, ${phase}` : ''})`;
    if (from.socketId === publisherId) {
      this.upstreamDown(reason, detail);
      return;
    }
    const name = this.view.name(from.socketId);
    if (videoOnlyReasons.has(reason)) {
      this.view.notice(`${name}: audio only: ${videoOnlyReasons.get(reason)} ${detail}`);
      return;
    }
    this.remove(from.socketId);
    if (reason === 'replaced') {
      // Normal: the server changed the connection for that stream, and its offer for a new one follows.
      this.view.state(from.socketId, 'replaced');
      this.view.notice(`${name}: the server replaced the connection, a new one follows`);
      return;
    }
    if (reason === 'moved') {
      // Normal in a cluster: the room moved to another media server, which offers the stream once its publisher
      // publishes there.
      this.view.state(from.socketId, 'moved');
      this.view.notice(`${name}: the call moved to another media server, the video follows`);
      return;
    }
    this.view.state(from.socketId, 'down');
    const next = offeredAgain(reason) ? 'the server will offer it again' : 'the server will not offer it again';
    this.failed(from.socketId, `${name}'s video stopped: ${describeDown(reason)}; ${next} ${detail}`);
  }

  // upstreamDown closes our dead upstream and publishes again after a pause, republishAttempts times in a row at
  // most.
  upstreamDown(reason, detail) {
    this.upstream?.close();
    this.upstream = null;
    this.up.delete(publisherId);
    this.view.state(publisherId, 'down');
    if (!this.stream) return;
    clearTimeout(this.retry);
    if (reason === 'moved') {
      // Not a failure: the room moved to another media server (its previous one failed); publish there at once.
      this.view.notice('the call moved to another media server: sending your camera there');
      if (!this.closed) this.publish();
      return;
    }
    if (this.republishes >= republishAttempts) {
      this.failed(publisherId, `your camera no longer reaches the server: ${describeDown(reason)}; ` +
        `${republishAttempts} attempts failed: leave and join again ${detail}`);
      return;
    }
    const attempt = ++this.republishes;
    const delay = republishDelay(attempt);
    this.failed(publisherId, `your camera stopped reaching the server: ${describeDown(reason)}; sending it again ` +
      `in ${Math.max(1, Math.round(delay / 1000))} s (attempt ${attempt} of ${republishAttempts}) ${detail}`);
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.closed && !this.upstream) this.publish();
    }, delay);
  }

  // failed shows the failure of socketId's connection, in place of an earlier one, until it flows again.
  failed(socketId, text) {
    this.clearFailure(socketId);
    this.failures.set(socketId, this.view.error(text));
  }

  // clearFailure takes down the failure shown for socketId's connection, if any, and says whether there was one.
  clearFailure(socketId) {
    const takeDown = this.failures.get(socketId);
    this.failures.delete(socketId);
    takeDown?.();
    return Boolean(takeDown);
  }

  remove(socketId) {
    this.downstream.get(socketId)?.close();
    this.downstream.delete(socketId);
    this.up.delete(socketId);
    this.clearFailure(socketId);
  }

  // resume runs after the websocket came back: the server kept our media sessions (docs/API.md, reconnect).
  resume() {}

  close() {
    this.closed = true;
    clearTimeout(this.retry);
    this.retry = null;
    for (const socketId of [...this.failures.keys()]) this.clearFailure(socketId);
    this.upstream?.close();
    this.upstream = null;
    for (const peer of this.downstream.values()) peer.close();
    this.downstream.clear();
    this.up.clear();
  }

  // connections lists what the stats report covers: the upstream under "publisher", then one per remote publisher.
  connections() {
    const all = this.upstream ? [[publisherId, this.upstream]] : [];
    all.push(...this.downstream);
    return all.map(([socketId, peer]) => ({ socketId, pc: peer.pc, up: this.up.has(socketId) }));
  }

  connection(socketId) {
    return new Peer({
      onCandidate: (candidate) => this.send('exchangeCandidate', { to: socketId, candidate }),
      onTrack: (stream) => {
        if (socketId !== publisherId) this.view.stream(socketId, stream);
      },
      onState: (state) => this.view.state(socketId, state),
    });
  }

  fail(socketId, what, err) {
    this.view.error(`${this.view.name(socketId)}: ${what} failed: ${err.message}`);
  }
}

// republishDelay waits 1 s before the first new upstream, twice as long before each next one, up to 8 s, with
// jitter so that a room that lost the server together does not come back all at once.
function republishDelay(attempt) {
  return Math.min(8000, 1000 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2);
}
