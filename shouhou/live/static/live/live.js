/* Live push client (shouhou.live, docs/live.md): one WebSocket per stream, numbered events, reconnects
   with the last number it has so the server replays what was missed. No library, no CDN.
   ShouhouLive.open(path, {after, onEvent(frame), onReset(seq), onState(connected)}) -> stream */
(function () {
  "use strict";
  var streams = [];

  function open(path, opts) {
    var s = {path: path, last: null, socket: null, connected: false, hold: false, tries: 0, timer: null};
    var after = parseInt(opts.after, 10);
    if (!isNaN(after)) s.last = after;

    function state(up) {
      if (s.connected === up) return;
      s.connected = up;
      if (opts.onState) opts.onState(up);
    }

    function url() {
      var base = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
      return s.last === null ? base : base + (path.indexOf("?") < 0 ? "?" : "&") + "after=" + s.last;
    }

    function connect() {
      s.timer = null;
      if (s.hold || !window.WebSocket) return;
      var ws;
      try { ws = new WebSocket(url()); } catch (e) { retry(); return; }
      s.socket = ws;
      ws.onmessage = function (msg) {
        var f;
        try { f = JSON.parse(msg.data); } catch (e) { return; }
        if (f.type === "hello") {
          s.tries = 0;
          if (s.last === null) s.last = f.seq;
          state(true);
        } else if (f.type === "event") {
          if (s.last !== null && f.seq <= s.last) return;  // already have it
          s.last = f.seq;
          if (opts.onEvent) opts.onEvent(f);
        } else if (f.type === "reset") {
          s.last = f.seq;
          if (opts.onReset) opts.onReset(f.seq);
        }
      };
      ws.onclose = function (ev) {
        if (s.socket !== ws) return;
        s.socket = null;
        state(false);
        if (ev.code !== 4403) retry();  // refused (logged out, link revoked): the polling fallback stays
      };
    }

    function retry() {
      if (s.hold || s.timer) return;
      var delay = Math.min(10000, 500 * Math.pow(2, s.tries++));
      s.timer = setTimeout(connect, delay);
    }

    // Tests and the page: drop the connection and stay away until reconnect() (a dropped network).
    s.drop = function () { s.hold = true; if (s.socket) s.socket.close(); };
    s.reconnect = function () { s.hold = false; s.tries = 0; if (!s.socket && !s.timer) connect(); };
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && !s.socket && !s.hold) { s.tries = 0; if (s.timer) { clearTimeout(s.timer); s.timer = null; } connect(); }
    });
    streams.push(s);
    connect();
    return s;
  }

  window.ShouhouLive = {open: open, streams: streams};
})();
