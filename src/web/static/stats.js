// What getStats says about one RTCPeerConnection, in the few figures a person or a test looks at.

export async function summarize(pc) {
  const out = {
    connectionState: pc.connectionState,
    framesDecoded: 0,
    frameWidth: 0,
    frameHeight: 0,
    codec: '',
    packetsReceivedAudio: 0,
    packetsReceivedVideo: 0,
    nackCount: 0,
    framesEncoded: 0,
    packetsSent: 0,
    sendCodec: '',
  };
  const report = await pc.getStats();
  const codecOf = (id) => report.get(id)?.mimeType ?? '';
  for (const s of report.values()) {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      out.packetsReceivedAudio += s.packetsReceived ?? 0;
    } else if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out.packetsReceivedVideo += s.packetsReceived ?? 0;
      out.framesDecoded += s.framesDecoded ?? 0;
      out.nackCount += s.nackCount ?? 0;
      out.frameWidth = Math.max(out.frameWidth, s.frameWidth ?? 0);
      out.frameHeight = Math.max(out.frameHeight, s.frameHeight ?? 0);
      out.codec ||= codecOf(s.codecId);
    } else if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.framesEncoded += s.framesEncoded ?? 0;
      out.packetsSent += s.packetsSent ?? 0;
      out.sendCodec ||= codecOf(s.codecId);
    }
  }
  return out;
}
