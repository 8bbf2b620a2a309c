// Local camera and microphone, and the codec preference shared by the relay and MCU engines.

// videoConstraints turns the server's userMediaConfiguration (all numbers are JSON strings, docs/API.md) into
// getUserMedia video constraints. Anything unreadable is left out rather than guessed.
export function videoConstraints(umc) {
  const out = {};
  for (const name of ['width', 'height', 'frameRate']) {
    const range = umc?.video?.[name];
    const c = {};
    for (const bound of ['min', 'max']) {
      const n = Number.parseInt(range?.[bound], 10);
      if (Number.isFinite(n) && n > 0) c[bound] = n;
    }
    if (Object.keys(c).length) out[name] = c;
  }
  return out;
}

// openCamera asks for camera and microphone within the server's constraints. A camera that cannot meet them is
// asked again without them: a picture that is too large beats no picture.
export async function openCamera(umc) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('this page cannot use the camera (it needs https or http://127.0.0.1)');
  }
  const constraints = videoConstraints(umc);
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: constraints });
  } catch (err) {
    if (err.name !== 'OverconstrainedError') throw err;
    return navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  }
}

// applyConfiguration adapts a running camera to a new userMediaConfiguration (the room grew or shrank). Only the
// maximums are applied: the minimums could make a camera refuse the change.
export async function applyConfiguration(stream, umc) {
  const track = stream?.getVideoTracks()[0];
  if (!track) return;
  const max = {};
  for (const [name, range] of Object.entries(videoConstraints(umc))) {
    if (range.max) max[name] = { max: range.max };
  }
  await track.applyConstraints(max);
}

// Codecs that only repair the chosen one: they stay allowed when a codec is forced.
const repairCodecs = /\/(rtx|red|ulpfec|flexfec-03)$/i;

// preferCodec restricts a video transceiver to codec (e.g. "H264", "VP8"), if given, and its repair codecs unless
// repair is false. It throws when the browser has no such codec, so a forced codec never silently becomes another
// one.
export function preferCodec(transceiver, codec, repair = true) {
  if (!codec || transceiver.receiver.track.kind !== 'video') return;
  const capabilities = RTCRtpReceiver.getCapabilities('video');
  if (!capabilities || typeof transceiver.setCodecPreferences !== 'function') {
    throw new Error(`cannot force codec ${codec}: this browser has no setCodecPreferences`);
  }
  const wanted = `video/${codec}`.toLowerCase();
  const chosen = capabilities.codecs.filter((c) => c.mimeType.toLowerCase() === wanted);
  if (!chosen.length) throw new Error(`this browser cannot use codec ${codec}`);
  const repairs = repair ? capabilities.codecs.filter((c) => repairCodecs.test(c.mimeType)) : [];
  transceiver.setCodecPreferences([...chosen, ...repairs]);
}

export function stopStream(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
