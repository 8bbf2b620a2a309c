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
    bytesReceivedVideo: 0,
    nackCount: 0,
    framesEncoded: 0,
    packetsSent: 0,
    bytesSentVideo: 0,
    sendWidth: 0,
    qualityLimitationReason: '',
    availableOutgoingBitrate: 0,
    sendCodec: '',
    path: null,
  };
  const report = await pc.getStats();
  const codecOf = (id) => report.get(id)?.mimeType ?? '';
  for (const s of report.values()) {
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = report.get(s.selectedCandidatePairId);
      out.path = pathOf(report, pair);
      out.availableOutgoingBitrate = pair?.availableOutgoingBitrate ?? 0;
    } else if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      out.packetsReceivedAudio += s.packetsReceived ?? 0;
    } else if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out.packetsReceivedVideo += s.packetsReceived ?? 0;
      out.bytesReceivedVideo += s.bytesReceived ?? 0;
      out.framesDecoded += s.framesDecoded ?? 0;
      out.nackCount += s.nackCount ?? 0;
      out.frameWidth = Math.max(out.frameWidth, s.frameWidth ?? 0);
      out.frameHeight = Math.max(out.frameHeight, s.frameHeight ?? 0);
      out.codec ||= codecOf(s.codecId);
    } else if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.framesEncoded += s.framesEncoded ?? 0;
      out.packetsSent += s.packetsSent ?? 0;
      out.bytesSentVideo += s.bytesSent ?? 0;
      out.sendCodec ||= codecOf(s.codecId);
      // The size the encoder sends, and what limits it (cpu, bandwidth, none): a publisher that scales itself down
      // shows here.
      out.sendWidth = Math.max(out.sendWidth, s.frameWidth ?? 0);
      out.qualityLimitationReason ||= s.qualityLimitationReason ?? '';
    }
  }
  return out;
}

// pathOf says how the media travels, from the selected candidate pair: over udp or tcp, from which local address to
// which remote one (a relay candidate when a TURN server is in the way).
function pathOf(report, pair) {
  const local = report.get(pair?.localCandidateId);
  const remote = report.get(pair?.remoteCandidateId);
  if (!local || !remote) return null;
  return {
    protocol: local.protocol ?? '',
    localType: local.candidateType ?? '',
    remoteAddress: remote.address ?? '',
    remotePort: remote.port ?? 0,
    remoteProtocol: remote.protocol ?? '',
  };
}
