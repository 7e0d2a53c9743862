/* shouhou workbench: live SLA countdowns, live refresh of the queue / conversation / team board,
   script suggestions into the composer, PII reveal. No framework, no CDN. */
(function () {
  "use strict";
  var skew = 0; // server time minus browser time (ms), so countdowns follow the server's clock

  function syncClock(iso) {
    var t = Date.parse(iso || "");
    if (!isNaN(t)) skew = t - Date.now();
  }

  // Django's JavaScript catalog (/jsi18n/) supplies gettext/interpolate; without it, the Chinese source.
  var _ = window.gettext || function (text) { return text; };
  var fill = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (m, k) { return values[k]; });
  };

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function fmt(seconds) {
    var s = Math.abs(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h >= 24) return fill(_("%(days)s天%(hours)s小时"), {days: Math.floor(h / 24), hours: h % 24}, true);
    return (h ? h + ":" + pad(m) : m) + ":" + pad(sec);
  }

  function tick() {
    var now = Date.now() + skew;
    var clocks = document.querySelectorAll(".sla[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i], due = Date.parse(el.dataset.due), warn = parseInt(el.dataset.warn || "120", 10);
      var left = Math.round((due - now) / 1000), out = el.querySelector(".sla-left"), state;
      if (left < 0) { state = "breached"; if (out) out.textContent = fill(_("已超时 %(time)s"), {time: fmt(left)}, true); }
      else { state = left <= warn ? "warning" : "running"; if (out) out.textContent = fill(_("剩余 %(time)s"), {time: fmt(left)}, true); }
      if (el.dataset.state !== state) {
        el.classList.remove("sla-" + el.dataset.state);
        el.classList.add("sla-" + state);
        el.dataset.state = state;
      }
    }
  }

  // the shop the page was drawn for (desk/workbench.py _page_shop): another tab choosing another shop leaves it
  var pageShop = document.querySelector("[data-desk-shop]");
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json",
                                                               "X-Desk-Shop": pageShop ? pageShop.dataset.deskShop : "" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  // Live push (shouhou.live): while the desk stream is connected, a push triggers the refresh at once and
  // the timed polls stand still; they are the fallback when the WebSocket cannot connect.
  var live = document.getElementById("desk-live"), liveUp = false, onPush = [];
  // A read that fails (a network blip, a 503 while the database is busy) is tried again, backing off: a pushed
  // event is said once, and without the read its change would stay unseen until the next. The wait before try
  // number `fails` again: 0.5 s doubling up to 8 s; 0 (give up) after five.
  function retryDelay(fails) { return fails > 5 ? 0 : Math.min(8000, 500 * Math.pow(2, fails - 1)); }
  function every(seconds, fn, wants) {
    var busy = false, again = false, fails = 0;
    function run() {
      if (busy) { again = true; return; }
      busy = true;
      fn().then(function () { fails = 0; }, function () {
        var wait = retryDelay(++fails);
        if (wait) setTimeout(run, wait);
      }).then(function () { busy = false; if (again) { again = false; run(); } });
    }
    setInterval(function () { if (!liveUp && !document.hidden) run(); }, Math.max(1, seconds) * 1000);
    var lastPush = 0, later = null;
    onPush.push(function (f) {
      if (wants) { if (wants(f)) run(); return; }
      if (f && f.kind === "case") return;  // case events are for the desk's case panel; no list shows them
      // whole-list refreshes: at most one every 1.5 s however many events arrive (the last one is kept)
      var wait = 1500 - (Date.now() - lastPush);
      if (wait > 0) { if (!later) later = setTimeout(function () { later = null; lastPush = Date.now(); run(); }, wait); return; }
      lastPush = Date.now();
      run();
    });
    return run;
  }

  // --- the queue: refresh rows and counts ---
  // The reply board changes at moments nothing is pushed for (a waiting message entering the nudge window or
  // crossing its line): the server names the next one (data-next) and the board's page is read again then.
  var replyRefresh = null, replyFired = "";
  function replyMoment() {
    var board = document.getElementById("reply-board") || document.getElementById("im-reply-board");
    var next = board && board.dataset.next;
    if (!next || !replyRefresh || next === replyFired || Date.now() + skew < Date.parse(next)) return;
    replyFired = next;
    replyRefresh();
  }
  setInterval(replyMoment, 1000);

  var rows = document.getElementById("queue-rows");
  if (rows) {
    syncClock(rows.closest("table").dataset.serverNow);
    replyRefresh = every(parseInt(rows.dataset.poll, 10), function () {
      return getJSON(rows.dataset.refreshUrl).then(function (j) {
        syncClock(j.now);
        rows.innerHTML = j.html;
        Object.keys(j.counts || {}).forEach(function (k) {
          var c = document.querySelector('[data-count="' + k + '"]');
          if (c) c.textContent = j.counts[k];
        });
        var board = document.getElementById("reply-board");
        if (board && j.reply_html) board.outerHTML = j.reply_html;
        tick();
      });
    });
  }

  // --- the team board ---
  var team = document.getElementById("team-body");
  if (team) {
    syncClock(team.dataset.serverNow);
    replyRefresh = every(parseInt(team.dataset.poll, 10), function () {
      return getJSON(team.dataset.refreshUrl).then(function (j) { syncClock(j.now); team.innerHTML = j.html; tick(); });
    });
  }

  // --- the conversation: append new messages and events, refresh the clock and status ---
  var timeline = document.getElementById("timeline");
  if (timeline) {
    var grid = document.querySelector(".desk-grid");
    if (grid) syncClock(grid.dataset.serverNow);
    timeline.scrollTop = timeline.scrollHeight;
    var mine = function (f) {
      return f === null || (f.kind === "message" && String(f.data.conversation_id) === timeline.dataset.conversation) ||
        (f.kind === "ticket" && String(f.data.ticket_id) === timeline.dataset.ticket);
    };
    every(parseInt(timeline.dataset.poll, 10), function () {
      var url = timeline.dataset.pollUrl + "?m=" + timeline.dataset.m + "&e=" + timeline.dataset.e;
      return getJSON(url).then(function (j) {
        syncClock(j.now);
        if (j.count) {  // the read repeats the last moments' items (docs/live.md): one per data-key
          var box = document.createElement("div"), added = false;
          box.innerHTML = j.html;
          while (box.firstChild) {
            var node = box.firstChild;
            box.removeChild(node);
            if (node.nodeType !== 1 || (node.dataset.key && timeline.querySelector('[data-key="' + node.dataset.key + '"]'))) continue;
            timeline.appendChild(node);
            added = true;
          }
          if (added) timeline.scrollTop = timeline.scrollHeight;  // only what is new moves the view
        }
        timeline.dataset.m = j.m;
        timeline.dataset.e = j.e;
        // delivery badges of replies already on the page (a retry went out, or gave up)
        Object.keys(j.deliveries || {}).forEach(function (id) {
          var badge = timeline.querySelector('[data-delivery="' + id + '"]');
          if (badge && badge.innerHTML !== j.deliveries[id]) badge.innerHTML = j.deliveries[id];
        });
        var clock = document.getElementById("ticket-clock");
        if (clock) clock.innerHTML = j.clock_html;
        var status = document.querySelector('[data-testid="ticket-status"]');
        if (status) status.textContent = j.status_label;
        tick();
      });
    }, mine);
  }

  if (live && window.ShouhouLive) {
    window.ShouhouLive.open(live.dataset.live, {
      after: live.dataset.liveSeq,
      onEvent: function (f) { onPush.forEach(function (fn) { fn(f); }); document.dispatchEvent(new CustomEvent("desk:push", {detail: f})); },
      onReset: function () { onPush.forEach(function (fn) { fn(null); }); },
      onState: function (up) {
        liveUp = up;
        live.dataset.state = up ? "on" : "off";
        if (up) onPush.forEach(function (fn) { fn(null); });  // catch up on what came before the socket
      }
    });
  }

  // --- scripts: a click fills the composer with the script rendered for this ticket ---
  var body = document.getElementById("reply-body"), scriptId = document.getElementById("script-id");
  var scriptError = document.getElementById("script-error");
  var filled = null, asked = 0;  // filled: the text the last script put in the box; asked: the latest request
  function useScript(url, id, stay) {
    if (!url) return;
    var mine = ++asked;
    getJSON(url).then(function (j) {
      if (mine !== asked) return;  // a later choice is on its way (arrowing through the list)
      if (j.error) { scriptError.textContent = j.error; return; }
      body.value = filled = j.text;
      scriptId.value = j.id || id || "";
      scriptError.textContent = "";
      if (!stay) body.focus();  // the list keeps the focus: its arrows go on through the scripts
    }).catch(function () { if (mine === asked) scriptError.textContent = _("话术加载失败，请重试"); });
  }
  document.addEventListener("click", function (ev) {
    var chip = ev.target.closest("[data-script-url]");
    if (chip && body) { ev.preventDefault(); useScript(chip.dataset.scriptUrl, chip.dataset.scriptId); }
  });
  // The "更多话术…" list fills the box whenever its choice changes, and arrowing through it with the keyboard
  // changes it at each step: a draft the agent wrote is never replaced without asking. The text a script put
  // there, untouched, is replaced without asking (that is stepping through the scripts); the list keeps the
  // choice shown, so the arrows go on from it, and goes back to "更多话术…" when the draft is kept.
  var more = document.getElementById("more-scripts");
  if (more) more.addEventListener("change", function () {
    var opt = more.options[more.selectedIndex];
    if (!more.value) return;
    if (body.value.trim() && body.value !== filled && !window.confirm(_("用所选话术替换回复框中的草稿吗？"))) {
      more.selectedIndex = 0;
      return;  // the agent's own draft stays
    }
    useScript(more.value, opt && opt.dataset.scriptId, true);
  });
  if (body && scriptId) body.addEventListener("input", function () { if (!body.value) scriptId.value = ""; });

  // --- the CSRF token for posts (im.js uses it too); revealing a masked phone is accounts/reveal.js ---
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- 「查看更早的消息」 (the ticket page and the one-screen pane): a conversation opens on its newest messages; the
  // button asks for the page before the oldest one shown (a message id cursor) and puts it above, keeping the view
  // where the agent is reading; the button goes once the beginning is shown ---
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("[data-earlier-url]") : null;
    if (!button || button.disabled) return;
    var box = button.parentNode;
    button.disabled = true;
    getJSON(button.dataset.earlierUrl + "?before=" + encodeURIComponent(button.dataset.before)).then(function (j) {
      var holder = document.createElement("div"), from = box.scrollHeight - box.scrollTop, after = button.nextSibling;
      holder.innerHTML = j.html;
      while (holder.firstChild) {
        var node = holder.firstChild;
        holder.removeChild(node);
        if (node.nodeType !== 1 || (node.dataset.key && box.querySelector('[data-key="' + node.dataset.key + '"]'))) continue;
        box.insertBefore(node, after);
      }
      if (j.earlier) { button.dataset.before = j.earlier; button.disabled = false; } else { box.removeChild(button); }
      box.scrollTop = box.scrollHeight - from;
    }).catch(function () { button.disabled = false; });
  });

  tick();
  setInterval(tick, 1000);
  function serverNow() { return Date.now() + skew; }
  // im.js names its list refresh here, so the one screen's reply board is read again at its moments too
  function onReplyMoment(fn) { replyRefresh = fn; }
  window.shouhouDesk = {tick: tick, syncClock: syncClock, fmt: fmt, csrf: csrf, retryDelay: retryDelay,
                        serverNow: serverNow, onReplyMoment: onReplyMoment};  // for im.js
})();
