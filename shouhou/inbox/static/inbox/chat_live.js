// Web chat, live: replies appear the moment they are stored (shouhou.live over WebSocket); chat.js keeps
// polling only while the push is not connected. Messages are added by chat.js's add(), which skips ids
// already on the page, so a message that came both ways shows once.
(function () {
  "use strict";
  var root = document.querySelector("[data-testid=chat]");
  if (!root || !window.shouhouChat) { return; }

  // A photo or PDF, sent as soon as it is chosen; the server checks it by its bytes.
  var upload = root.querySelector(".chat-upload input[type=file]");
  var showError = window.shouhouChat.showError;
  if (upload) {
    upload.addEventListener("change", function () {
      if (!upload.files.length) { return; }
      var data = new FormData();
      data.append("file", upload.files[0]);
      data.append("client_id", window.shouhouChat.clientId());
      window.shouhouChat.send(data, root.dataset.fileFailed)
        .then(function (res) { showError(res.ok ? "" : res.error); upload.value = ""; return window.shouhouChat.poll(); })
        .catch(function () { showError(root.dataset.unstable, true); });
    });
  }

  if (!root.dataset.live || !window.ShouhouLive) { return; }
  window.ShouhouLive.open(root.dataset.live, {
    after: root.dataset.liveSeq,
    onEvent: function (f) {
      if (f.kind === "message") {
        window.shouhouChat.add(f.data);
        // while the bot answers, a message may be its hand-off to a person ("已为您转接…"), stored in the same
        // transaction that stopped the bot: the read after it says who answers now (the header line)
        if (window.shouhouChat.botAnswers()) { window.shouhouChat.poll(); }
      }
      else { window.shouhouChat.poll(); }  // progress shown to the customer: read the list again
    },
    onReset: function () { window.shouhouChat.poll(); },
    onState: function (up) {
      root.dataset.liveState = up ? "on" : "off";
      if (up) { window.shouhouChat.connected(); window.shouhouChat.poll(); }  // catch up on anything from before
    }
  });
})();
