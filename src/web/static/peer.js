// Peer wraps one RTCPeerConnection: it runs its negotiation steps one at a time and holds back remote candidates
// until the remote description they belong to is set.

// No STUN or TURN server: the reference client targets loopback and LAN, where host candidates suffice.
const rtcConfiguration = { iceServers: [], bundlePolicy: 'max-bundle' };

export class Peer {
  // handlers: onCandidate(init) for each local candidate ({completed:true} at the end), onTrack(stream),
  // onState(connectionState).
  constructor(handlers) {
    this.pc = new RTCPeerConnection(rtcConfiguration);
    this.queue = Promise.resolve();
    this.early = [];
    this.stream = null;
    this.pc.onicecandidate = (e) => handlers.onCandidate(e.candidate ? e.candidate.toJSON() : { completed: true });
    this.pc.ontrack = (e) => {
      // Some offers carry no stream id (a=msid): gather such tracks into one stream of our own.
      const stream = e.streams[0] ?? (this.stream ??= new MediaStream());
      if (!stream.getTracks().includes(e.track)) stream.addTrack(e.track);
      this.stream = stream;
      handlers.onTrack(stream);
    };
    this.pc.onconnectionstatechange = () => handlers.onState(this.pc.connectionState);
  }

  // step runs fn after every earlier step of this peer; its result or error goes to the caller.
  step(fn) {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  async setRemote(description) {
    await this.pc.setRemoteDescription(description);
    const early = this.early;
    this.early = [];
    for (const candidate of early) await this.addCandidate(candidate);
  }

  async addCandidate(candidate) {
    if (!this.pc.remoteDescription) {
      this.early.push(candidate);
      return;
    }
    // {completed:true} (docs/API.md) is the end of the peer's candidates.
    await this.pc.addIceCandidate(candidate?.completed ? undefined : candidate);
  }

  // failed reports a connection that will not recover without a new negotiation.
  failed() {
    return this.pc.connectionState === 'failed' || this.pc.iceConnectionState === 'failed';
  }

  close() {
    this.pc.onicecandidate = this.pc.ontrack = this.pc.onconnectionstatechange = null;
    this.pc.close();
  }
}

// publish attaches the local tracks to pc's transceivers of the same kind (created by an offer or added before one),
// or makes them receive-only when there is no local track of that kind.
export async function publish(pc, stream) {
  for (const t of pc.getTransceivers()) {
    if (t.currentDirection === 'stopped') continue;
    const track = stream?.getTracks().find((tr) => tr.kind === t.receiver.track.kind);
    if (track && !t.sender.track) {
      await t.sender.replaceTrack(track);
      t.sender.setStreams(stream);
    }
    t.direction = track ? 'sendrecv' : 'recvonly';
  }
}
