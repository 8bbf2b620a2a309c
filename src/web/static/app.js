// The reference web client of live-webrtcsignaling: plain ES modules, no build step. It joins a room through the
// websocket API (docs/API.md), publishes camera and microphone, and shows every other participant, in relay (P2P
// mesh) or MCU mode, whichever joinR announces.
//
// Automation hooks (URL parameters), used by the browser tests in src/e2e and handy by hand:
//   room=<id>      the room (default "demo")
//   user=<id>      the userId asked from /dev/token (default: a random one)
//   autojoin=1     join at once
//   codec=<name>   force a video codec with setCodecPreferences: VP8, VP9, H264 or AV1
//   norepair=1     with codec: allow no repair codec either (RTX, RED, FEC), as browsers that do not offer them
//   recvonly=1     receive only: neither camera nor microphone is opened
//   degradation=<preference>  the published video's degradationPreference (maintain-resolution, maintain-framerate,
//                  balanced): maintain-resolution keeps the camera's size when the CPU is short, and leaves smaller
//                  pictures to the server's tiers
//   report=<url>   every second, POST a JSON summary to <url> (Call.snapshot in call.js: socketId, mode, joined state,
//                  per remote peer userId, framesDecoded, frameWidth, codec, packets received, nackCount, and the
//                  errors shown and events received). The receiver must answer CORS (the page's origin differs).
//   #bearer=<jwt>  in the fragment, which never reaches a server or its logs: the bearer to use instead of /dev/token
//                  (servers outside dev mode)

import { Call } from './call.js';
import { View } from './ui.js';

const params = new URLSearchParams(location.search);
const fragment = new URLSearchParams(location.hash.slice(1));
const view = new View(document);
const form = document.getElementById('join');
const fields = form.elements;

fields.room.value = params.get('room') ?? 'demo';
fields.user.value = params.get('user') ?? `user-${Math.random().toString(36).slice(2, 8)}`;
fields.bearer.value = fragment.get('bearer') ?? '';
fields.recvonly.checked = params.get('recvonly') === '1';
fields.codec.value = params.get('codec') ?? '';
if (fields.codec.value !== (params.get('codec') ?? '')) view.error(`unknown codec ${params.get('codec')}`);
if (fields.bearer.value) view.needBearer();

let call = null;

function newCall() {
  return new Call({
    room: fields.room.value,
    user: fields.user.value,
    bearer: fields.bearer.value.trim(),
    recvonly: fields.recvonly.checked,
    codec: fields.codec.value,
    degradation: params.get('degradation') ?? '',
    repair: params.get('norepair') !== '1',
    orientation: Number(fields.orientation.value),
  }, view);
}

function joinedControls(joined) {
  for (const name of ['room', 'user', 'bearer', 'recvonly', 'codec', 'join']) fields[name].disabled = joined;
  fields.leave.disabled = !joined;
}

view.onState = (state) => joinedControls(state !== 'idle');

function join() {
  if (call && call.state !== 'idle') return;
  call = newCall();
  call.join();
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  join();
});
fields.leave.addEventListener('click', () => call?.leave());
fields.orientation.addEventListener('change', () => call?.setOrientation(Number(fields.orientation.value)));

// A phone turned sideways: screen angle 90 is the device tilted left, which docs/API.md calls 0°.
screen.orientation?.addEventListener('change', () => {
  const degrees = (450 - screen.orientation.angle) % 360;
  fields.orientation.value = String(degrees);
  call?.setOrientation(degrees);
});
window.addEventListener('offline', () => view.notice('the network is gone'));
window.addEventListener('online', () => call?.networkBack());

if (params.has('report')) startReports(params.get('report'));
setInterval(() => call?.refreshOverlays().catch(() => {}), 1000);
if (params.get('autojoin') === '1') join();

// startReports posts the call's summary every second, one post at a time.
function startReports(url) {
  let busy = false;
  let failing = false;
  setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const body = call ? await call.snapshot() : { state: 'idle', joined: false, peers: [], errors: [], events: [] };
      const res = await fetch(url, {
        method: 'POST', mode: 'cors', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      failing = false;
    } catch (err) {
      if (!failing) view.notice(`report to ${url} failed: ${err.message}`);
      failing = true;
    } finally {
      busy = false;
    }
  }, 1000);
}
