// Web chat on the consumer page: post messages, poll for replies. Plain JS, no library, no CDN.
(function () {
  "use strict";
  var root = document.querySelector("[data-testid=chat]");
  if (!root) { return; }
  var log = root.querySelector(".chat-log");
  var form = root.querySelector(".chat-form");
  var error = root.querySelector("[data-testid=chat-error]");
  // The read's cursor, from the server only ("<id>" or "<id>.<id>.<ms>"): it waits for a reply whose transaction
  // commits after a newer one was read (PostgreSQL), so polling never skips it. Pushed messages do not move it.
  var cursor = root.dataset.cursor || "0";
  var busy = false;
  var failed = 0;  // reads that failed in a row

  function csrf() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // An error under the log. One that says the network failed ("offline") goes as soon as the page reaches the
  // server again (a read answered, the push reconnected, the browser back online); a refusal stays until the
  // next send.
  function showError(text, offline) {
    error.textContent = text || "";
    error.hidden = !text;
    error.dataset.offline = text && offline ? "1" : "";
  }
  function connected() { if (error.dataset.offline === "1") { showError(""); } }

  // Who answers (the header line): the bot until it hands the conversation to a person. Each read says.
  var who = root.querySelector("[data-testid=who]");
  function showWho(bot) {
    if (!who || typeof bot !== "boolean") { return; }
    who.dataset.bot = bot ? "1" : "0";
    who.textContent = bot ? who.dataset.botText : who.dataset.personText;
  }
  function botAnswers() { return !!who && who.dataset.bot === "1"; }

  // The log scrolls inside the page (chat.css): keep its newest message in view, above the composer.
  function toNewest() { log.scrollTop = log.scrollHeight; stick = true; }
  // A picture's height is known only once it has loaded: while the customer is at the newest message, a picture that
  // loads later scrolls the log down again (before 2026-12-07 a new photo ended 230 px below the view).
  var stick = true;
  log.addEventListener("scroll", function () { stick = log.scrollHeight - log.scrollTop - log.clientHeight < 40; });
  log.addEventListener("load", function (ev) { if (ev.target.tagName === "IMG" && stick) { toNewest(); } }, true);

  // `above`: a message read back (「查看更早的消息」) goes before that node, and the view stays where it was
  function add(m, above) {
    if (log.querySelector('[data-id="' + m.id + '"]')) { return; }
    var li = document.createElement("li");
    li.className = "chat-msg " + m.who;
    li.dataset.id = m.id;
    var label = {bot: root.dataset.botLabel, agent: root.dataset.agentLabel}[m.who];
    if (label) { li.dataset.whoLabel = label; }
    var body = document.createElement("span");
    body.className = "chat-body";
    body.textContent = m.body;  // text only: never HTML from the server
    var time = document.createElement("time");
    time.textContent = m.at;
    li.appendChild(body);
    if (m.attachment && root.dataset.file) {  // a photo or file: served by the chat's own link, checked there
      var link = document.createElement("a");
      link.className = "chat-file";
      link.href = root.dataset.file.replace(/\/0\/$/, "/" + m.id + "/");
      link.target = "_blank";
      link.rel = "noopener";
      link.dataset.testid = "chat-file";
      if (m.attachment.image) {
        var img = document.createElement("img");
        img.className = "chat-img";
        img.src = link.href;
        img.alt = root.dataset.imageAlt || "图片";
        link.appendChild(img);
      } else {
        link.textContent = m.attachment.name;
      }
      li.appendChild(link);
    }
    li.appendChild(time);
    if (above && above.nodeType) { log.insertBefore(li, above); return; }  // not forEach's index
    log.appendChild(li);
    toNewest();
  }

  // 「查看更早的消息」: the chat opens on its newest messages; this reads the page before the oldest one shown
  var earlier = log.querySelector("[data-earlier-url]");
  if (earlier) earlier.addEventListener("click", function () {
    earlier.disabled = true;
    fetch(earlier.dataset.earlierUrl + "?before=" + encodeURIComponent(earlier.dataset.before),
          {headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var from = log.scrollHeight - log.scrollTop, first = earlier.parentNode.nextSibling;
        (data.messages || []).forEach(function (m) { add(m, first); });
        if (data.earlier) { earlier.dataset.before = data.earlier; earlier.disabled = false; }
        else { log.removeChild(earlier.parentNode); }
        log.scrollTop = log.scrollHeight - from;
      })
      .catch(function () { earlier.disabled = false; });
  });

  // Department progress (warehouse, quality …) on this conversation's tickets, newest list each poll.
  var progress = root.querySelector("[data-testid=progress]");
  function showProgress(items) {
    if (!progress || !items) { return; }
    var list = progress.querySelector("ol");
    list.textContent = "";
    items.forEach(function (p) {
      var li = document.createElement("li");
      li.dataset.id = p.id;
      var time = document.createElement("time");
      time.textContent = p.at;
      li.appendChild(time);
      li.appendChild(document.createTextNode(" " + p.note));
      list.appendChild(li);
    });
    progress.hidden = items.length === 0;
  }

  function poll() {
    return fetch(root.dataset.poll + "?after=" + encodeURIComponent(cursor), {headers: {"Accept": "application/json"}})
      .then(function (r) { if (r.ok) { connected(); return r.json(); } return {messages: []}; })
      .then(function (data) {
        (data.messages || []).forEach(add);
        if (typeof data.cursor === "string") { cursor = data.cursor; }
        showProgress(data.progress); showWho(data.bot);
      })
      .catch(function () { failed += 1; if (failed >= 2 || !navigator.onLine) { offline(); } return "failed"; })
      .then(function (outcome) { if (outcome !== "failed") { failed = 0; } });
  }

  function clientId() {
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }

  // Send a message (text or file). A 5xx answer or a dropped connection is tried again, twice, with the same
  // client_id: the server keeps one message per client_id, so a phone on a weak signal sends it once, not
  // never and not twice. Resolves to the server's {ok, error}.
  function send(data, failed) {
    function attempt(tries) {
      return fetch(root.dataset.send, {method: "POST", body: data, headers: {"X-CSRFToken": csrf()}})
        .then(function (r) {
          if (r.status >= 500 && tries < 3) { return later(tries); }
          if (r.status === 429) { return r.text().then(function (t) { return {ok: false, error: t}; }); }
          return r.json().catch(function () { return {ok: false, error: failed}; });
        }, function (err) { if (tries < 3) { return later(tries); } throw err; });
    }
    function later(tries) {
      return new Promise(function (resolve) { setTimeout(resolve, 700 * tries); })
        .then(function () { return attempt(tries + 1); });
    }
    return attempt(1);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var area = form.querySelector("textarea");
    var text = area.value.trim();
    if (busy) { return; }
    if (!text) { showError(root.dataset.empty); area.focus(); return; }  // spaces only: say so, not nothing
    busy = true;
    var data = new FormData();
    data.append("body", text);
    data.append("client_id", clientId());
    send(data, root.dataset.sendFailed)
      .then(function (res) {
        if (res.ok) { area.value = ""; showError(""); } else { showError(res.error); }
        return poll();
      })
      .catch(function () { showError(root.dataset.unstable, true); })
      .then(function () { busy = false; });
  });

  toNewest();  // a reload opens at the latest message, not the first
  window.addEventListener("resize", toNewest);  // the phone keyboard opening shrinks the screen
  // Live push (chat_live.js) shows new messages at once; polling is the fallback while it is not connected.
  window.shouhouChat = {add: add, poll: poll, send: send, clientId: clientId, showError: showError,
                        connected: connected, botAnswers: botAnswers};
  window.addEventListener("online", poll);  // back on the network: catch up, and the offline error goes
  // The phone lost its network (or reads keep failing): say so at once, not only when the customer sends; it goes
  // when the page reaches the server again. Whatever is already shown (a refusal, a failed send) stays.
  function offline() { if (error.hidden) { showError(error.dataset.offlineText, true); } }
  window.addEventListener("offline", offline);
  setInterval(function () {
    if (!navigator.onLine) { offline(); }  // in case the offline event was missed
    if (root.dataset.liveState !== "on") { poll(); }
  }, 3000);
})();
