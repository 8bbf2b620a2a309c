// Relay mode (docs/API.md, Modes): the server only relays, the participants build a peer-to-peer mesh. The newcomer
// offers to everyone already in the room; the others answer. The side that offered also restarts ICE when a
// connection fails, so that two peers never offer to each other at once.

import { preferCodec } from './media.js';
import { Peer, publish } from './peer.js';

export class RelayMesh {
  // send(action, data) reaches the server; view shows streams, states and errors (see call.js).
  constructor(send, view, codec) {
    this.send = send;
    this.view = view;
    this.codec = codec;
    this.peers = new Map();
    // Offers may arrive while the camera is still being opened: answers wait for it.
    this.localReady = new Promise((resolve) => {
      this.setLocal = resolve;
    });
    this.local = null;
  }

  // start publishes stream (null: receive only) and offers to every session already in the room.
  start(stream, sessions) {
    this.local = stream;
    this.setLocal();
    for (const s of sessions) {
      const peer = this.peer(s.socketId, true);
      peer.step(() => this.offer(s.socketId, peer, false)).catch((err) => this.fail(s.socketId, 'offer', err));
    }
  }

  onSdp(from, sdp) {
    if (sdp?.type === 'offer') {
      const peer = this.peer(from.socketId, false);
      peer.step(() => this.answer(from.socketId, peer, sdp)).catch((err) => this.fail(from.socketId, 'answer', err));
      return;
    }
    const peer = this.peers.get(from.socketId);
    if (!peer) {
      this.view.error(`${from.userId}: an SDP ${sdp?.type} without an offer of ours`);
      return;
    }
    peer.step(() => peer.setRemote(sdp)).catch((err) => this.fail(from.socketId, 'answer', err));
  }

  onCandidate(from, candidate) {
    const peer = this.peers.get(from.socketId);
    if (!peer) return;
    peer.step(() => peer.addCandidate(candidate)).catch((err) => this.fail(from.socketId, 'candidate', err));
  }

  // The server sends eventWebrtcUp and eventWebrtcDown in MCU mode only: a relay connection reports its own state.
  onWebrtcUp() {}

  onWebrtcDown() {}

  remove(socketId) {
    this.peers.get(socketId)?.close();
    this.peers.delete(socketId);
  }

  // resume runs after the websocket came back: connections that failed meanwhile are renegotiated.
  resume() {
    for (const [socketId, peer] of this.peers) this.restartIfFailed(socketId, peer);
  }

  close() {
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
  }

  // connections lists what the stats report covers: one connection per remote participant.
  connections() {
    return [...this.peers].map(([socketId, peer]) => ({
      socketId, pc: peer.pc, up: peer.pc.connectionState === 'connected',
    }));
  }

  peer(socketId, offerer) {
    const known = this.peers.get(socketId);
    if (known) return known;
    const peer = new Peer({
      onCandidate: (candidate) => this.send('exchangeCandidate', { to: socketId, candidate }),
      onTrack: (stream) => this.view.stream(socketId, stream),
      onState: (state) => {
        this.view.state(socketId, state);
        if (state === 'failed') this.restartIfFailed(socketId, peer);
      },
    });
    peer.offerer = offerer;
    this.peers.set(socketId, peer);
    return peer;
  }

  async offer(socketId, peer, iceRestart) {
    if (!iceRestart) {
      for (const kind of ['audio', 'video']) {
        const track = this.local?.getTracks().find((t) => t.kind === kind);
        const t = track
          ? peer.pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.local] })
          : peer.pc.addTransceiver(kind, { direction: 'recvonly' });
        preferCodec(t, this.codec);
      }
    }
    await peer.pc.setLocalDescription(await peer.pc.createOffer({ iceRestart }));
    this.send('exchangeSdp', { to: socketId, sdp: peer.pc.localDescription.toJSON() });
  }

  async answer(socketId, peer, offer) {
    await this.localReady;
    await peer.setRemote(offer);
    await publish(peer.pc, this.local);
    for (const t of peer.pc.getTransceivers()) preferCodec(t, this.codec);
    await peer.pc.setLocalDescription(await peer.pc.createAnswer());
    this.send('exchangeSdp', { to: socketId, sdp: peer.pc.localDescription.toJSON() });
  }

  restartIfFailed(socketId, peer) {
    if (!peer.offerer || !peer.failed() || this.peers.get(socketId) !== peer) return;
    peer.step(() => this.offer(socketId, peer, true)).catch((err) => this.fail(socketId, 'ICE restart', err));
  }

  fail(socketId, what, err) {
    this.view.error(`${this.view.name(socketId)}: ${what} failed: ${err.message}`);
  }
}
