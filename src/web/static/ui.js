// The page: status line, errors the person can dismiss, an activity log, and one tile per video.

const keptLogLines = 50;

export class View {
  constructor(doc) {
    this.doc = doc;
    this.statusLine = doc.getElementById('status');
    this.errorList = doc.getElementById('errors');
    this.log = doc.getElementById('log');
    this.videos = doc.getElementById('videos');
    this.localTile = doc.getElementById('local');
    this.tiles = new Map();
    this.onState = () => {};
  }

  // state shows the call's state; onState (set by app.js) follows it to enable the controls.
  state(state, text) {
    this.status(text);
    this.onState(state);
  }

  status(text) {
    this.statusLine.textContent = text;
    this.line(text);
  }

  // error shows text until the person dismisses it, or until the caller does with the returned function (the
  // problem went away: the activity log keeps it).
  error(text) {
    const item = this.doc.createElement('li');
    const dismiss = this.doc.createElement('button');
    dismiss.type = 'button';
    dismiss.textContent = 'dismiss';
    dismiss.onclick = () => item.remove();
    item.append(text, dismiss);
    this.errorList.append(item);
    this.line(`error: ${text}`);
    return () => item.remove();
  }

  notice(text) {
    this.line(text);
  }

  needBearer() {
    this.doc.getElementById('bearer-field').hidden = false;
  }

  local(stream) {
    this.localTile.hidden = !stream;
    this.play(this.localTile.querySelector('video'), stream);
  }

  // remote shows a remote participant with its userId, orientation, camera and connection state.
  remote(socketId, r) {
    const tile = this.tile(socketId);
    const orientation = Number.isInteger(r.orientation) ? r.orientation : 90;
    tile.querySelector('figcaption').textContent =
      `${r.userId} · ${orientation}°${r.camera ? ` ${r.camera}` : ''} · ${r.state}`;
    // 90° is upright (docs/API.md): turn the picture back by what the device is tilted.
    tile.querySelector('video').style.transform = orientation === 90 ? '' : `rotate(${orientation - 90}deg)`;
  }

  remoteStream(socketId, stream) {
    const video = this.tile(socketId).querySelector('video');
    if (video.srcObject !== stream) this.play(video, stream);
  }

  // overlay writes what a remote video is, from getStats: resolution, codec, bitrate (see Call.refreshOverlays).
  overlay(socketId, text) {
    const overlay = this.tiles.get(socketId)?.querySelector('.overlay');
    if (overlay) overlay.textContent = text;
  }

  removeRemote(socketId) {
    this.tiles.get(socketId)?.remove();
    this.tiles.delete(socketId);
  }

  clear() {
    for (const tile of this.tiles.values()) tile.remove();
    this.tiles.clear();
  }

  tile(socketId) {
    let tile = this.tiles.get(socketId);
    if (!tile) {
      tile = this.doc.createElement('figure');
      const video = this.doc.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      const overlay = this.doc.createElement('span');
      overlay.className = 'overlay';
      tile.append(video, overlay, this.doc.createElement('figcaption'));
      this.videos.append(tile);
      this.tiles.set(socketId, tile);
    }
    return tile;
  }

  play(video, stream) {
    video.srcObject = stream;
    if (!stream) return;
    video.play().catch((err) => {
      if (err.name === 'AbortError') return;
      this.notice(`click a video to start playing it (${err.message})`);
      video.onclick = () => video.play().catch(() => {});
    });
  }

  line(text) {
    const item = this.doc.createElement('li');
    item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
    this.log.append(item);
    while (this.log.childElementCount > keptLogLines) this.log.firstElementChild.remove();
  }
}
