// Web chat, live: replies appear the moment they are stored (shouhou.live over WebSocket); chat.js keeps
// polling only while the push is not connected. Messages are added by chat.js's add(), which skips ids
// already on the page, so a message that came both ways shows once.
(function () {
  "use strict";
  var root = document.querySelector("[data-testid=chat]");
  if (!root || !root.dataset.live || !window.ShouhouLive || !window.shouhouChat) { return; }
  window.ShouhouLive.open(root.dataset.live, {
    after: root.dataset.liveSeq,
    onEvent: function (f) {
      if (f.kind === "message") { window.shouhouChat.add(f.data); }
      else { window.shouhouChat.poll(); }  // progress shown to the customer: read the list again
    },
    onReset: function () { window.shouhouChat.poll(); },
    onState: function (up) {
      root.dataset.liveState = up ? "on" : "off";
      if (up) { window.shouhouChat.poll(); }  // catch up on anything from before the socket opened
    }
  });
})();
