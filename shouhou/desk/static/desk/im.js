/* The one-screen desk (desk/im.html): conversation list, conversation, customer panel; no page reloads.
   Live push (ShouhouLive) says what changed; polling every 5 s only while the push is not connected.
   Keys: Ctrl+Enter (or ⌘+Enter) sends, Alt+N opens the next conversation waiting for a reply; Enter sends
   nothing (in the script search it picks the first matching script). Each conversation keeps its unsent
   draft in this tab (sessionStorage) until it is sent.
   Alerts for new customer messages (sound, desktop notification, tab title) are this browser's settings.
   The list holds the first 60 conversations and says so when there are more; the open conversation and the
   ones just alerted are always in it (asked for by id, appended past the cut). */
(function () {
  "use strict";
  var im = document.getElementById("im");
  if (!im || !window.shouhouDesk) return;
  var D = window.shouhouDesk, _ = window.gettext || function (t) { return t; };
  var rows = document.getElementById("im-rows"), pane = document.getElementById("im-pane");
  var liveUp = false, baseTitle = document.title, unseen = 0, alerts = 0;
  var canTake = im.dataset.canReply === "1";  // may answer (take) a conversation nobody has: unassigned ones alert
  D.syncClock(im.dataset.serverNow);

  // Every read and action names the shop this page was drawn for (an agent of two shops keeps a tab per shop;
  // choosing the other shop in one tab does not turn this one: desk/workbench.py _page_shop).
  var SHOP = {"X-Desk-Shop": im.dataset.deskShop || ""};
  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json", "X-Desk-Shop": SHOP["X-Desk-Shop"]}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  function openId() { var c = pane.querySelector(".im-convo"); return c ? c.dataset.ticket : ""; }
  function timeline() { return document.getElementById("im-timeline"); }
  // The conversation keeps to its newest message while the agent is there: `stick` follows the agent's own
  // scrolling, and a picture that finishes loading later (its height unknown until then) scrolls it down again —
  // before 2026-12-07 a new photo ended 220 px below the view.
  var stick = true;
  function toBottom() { var tl = timeline(); if (tl) { tl.scrollTop = tl.scrollHeight; stick = true; } }
  pane.addEventListener("scroll", function (ev) {
    if (ev.target.id === "im-timeline") stick = ev.target.scrollHeight - ev.target.scrollTop - ev.target.clientHeight < 40;
  }, true);
  pane.addEventListener("load", function (ev) {
    if (ev.target.tagName === "IMG" && stick && ev.target.closest("#im-timeline")) toBottom();
  }, true);

  // --- waiting time, counting up from the customer's oldest unanswered message ---
  var line = parseInt(im.dataset.replyLine || "180", 10) || 180;
  function waits() {
    var now = Date.now();
    document.querySelectorAll(".im-wait[data-since]").forEach(function (el) {
      var s = Math.max(0, Math.round((now - Date.parse(el.dataset.since)) / 1000));
      var out = el.querySelector(".im-wait-time");
      if (out) out.textContent = D.fmt(s);
      el.classList.toggle("long", s >= line);  // the shop's platform reply line (飞鸽: 3 minutes)
    });
  }
  // The reply clocks' moments change the rates and the nudge with no event to push: a waiting message entering
  // the nudge window, or crossing the line (a miss now counts). The list (and the board with it) is read again
  // at those moments, once each; and once after the agent's own reply, when the shop's shared rates (kept
  // 5 s, inbox.selectors.COUNTS_TTL) are sure to include it.
  var marked = {};
  function clockMoments(silent) {  // silent: the list was just read, what it shows is known
    var now = D.serverNow ? D.serverNow() : Date.now(), due = false;
    document.querySelectorAll(".im-reply-clock[data-due]").forEach(function (el) {
      var left = (Date.parse(el.dataset.due) - now) / 1000, warn = parseInt(el.dataset.warn || "60", 10);
      [["nudge", left <= warn], ["late", left < 0]].forEach(function (m) {
        var key = m[0] + el.dataset.due;
        if (m[1] && !marked[key]) { marked[key] = true; due = true; }
      });
    });
    if (due && !silent) refreshListSoon();
  }
  function ratesLater() { setTimeout(refreshListSoon, 6000); }
  if (D.onReplyMoment) D.onReplyMoment(function () { refreshListSoon(); });  // the board's data-next (desk.js)
  setInterval(function () { waits(); clockMoments(false); }, 1000);
  waits();
  clockMoments(true);

  // --- the list ---
  var listBusy = false, listAgain = false, listTimer = null, listLast = 0, listFails = 0, paneFails = 0;
  function retryLater(what) {  // a failed read is tried again, backing off (desk.js, retryDelay)
    var wait = D.retryDelay(what === "list" ? ++listFails : ++paneFails);
    if (wait) setTimeout(what === "list" ? refreshList : refreshTimeline, wait);
  }
  // The list shows the first conversations only (the server says how many there are): the open one (by ticket)
  // and those just alerted (by conversation: a new chat's first message has no ticket yet when it is pushed)
  // are asked for by id, so they are in it even past the cut. An id the list no longer holds (resolved, taken
  // by another agent) is dropped once a refresh that asked for it comes back without it.
  var kept = [];
  function keep(id) {
    id = String(id || "");
    if (!/^\d+$/.test(id)) return;
    kept = [id].concat(kept.filter(function (k) { return k !== id; })).slice(0, 20);
  }
  function refreshList() {
    if (listBusy) { listAgain = true; return Promise.resolve(); }
    listBusy = true;
    // a read started while polling, or first after the push (re)connected or said "reset", alerts what is new
    var asked = kept.slice(), catchUp = catchUpNext, alerting = !liveUp || catchUpNext;
    catchUpNext = false;
    var url = im.dataset.listUrl + "?scope=" + encodeURIComponent(im.dataset.scope) + "&t=" + openId() +
      (asked.length ? "&keep=" + asked.join(",") : "");
    return getJSON(url).then(function (j) {
      // A keyboard user on a row or a nudge keeps their place: the list and the board are drawn again under them
      // (every few seconds in a surge), and focus on a replaced link went back to the page's start.
      var focused = document.activeElement, reFocus = "";
      if (focused && focused.dataset && focused.dataset.open && focused.closest(".im-list")) {
        reFocus = (focused.closest("#im-reply-board") ? "#im-reply-board " : ".im-rows ") +
          '[data-open="' + focused.dataset.open + '"]';
      }
      listFails = 0; D.syncClock(j.now); rows.innerHTML = j.html;
      var board = document.getElementById("im-reply-board");  // today's rates and the nudge, with the list
      if (board && j.reply_html) board.outerHTML = j.reply_html;
      if (reFocus) { var again = document.querySelector(reFocus); if (again) again.focus(); }
      waits(); clockMoments(true); D.tick();
      noteCustomerMessages(alerting);
      kept = kept.filter(function (id) { return asked.indexOf(id) === -1 || rows.querySelector('.im-row[data-conversation="' + id + '"]'); });
    })
      .catch(function () { if (catchUp) catchUpNext = true; retryLater("list"); })
      .then(function () { listBusy = false; if (listAgain) { listAgain = false; refreshList(); } });
  }
  function refreshListSoon() {  // at most one list refresh every 1.5 s, however many events arrive
    var wait = 1500 - (Date.now() - listLast);
    if (wait <= 0) { listLast = Date.now(); refreshList(); return; }
    if (!listTimer) listTimer = setTimeout(function () { listTimer = null; listLast = Date.now(); refreshList(); }, wait);
  }
  document.getElementById("im-scope").addEventListener("change", function (ev) {
    im.dataset.scope = ev.target.value;
    refreshList();
  });

  // --- the open conversation ---
  var paneBusy = false, paneAgain = false;
  function refreshTimeline() {
    var tl = timeline();
    if (!tl) return Promise.resolve();
    if (paneBusy) { paneAgain = true; return Promise.resolve(); }
    paneBusy = true;
    return getJSON(tl.dataset.pollUrl + "?m=" + tl.dataset.m + "&e=" + tl.dataset.e).then(function (j) {
      paneFails = 0;
      if (netSaid) say("");  // the server answers again
      if (timeline() !== tl) return;
      D.syncClock(j.now);
      if (j.count) {
        // The read repeats the items of the last moments (a row committed late is never skipped: docs/live.md):
        // one per data-key; only what is new moves the view to the bottom (an agent reading back stays put).
        var box = document.createElement("div"), added = false;
        box.innerHTML = j.html;
        while (box.firstChild) {
          var node = box.firstChild;
          box.removeChild(node);
          var had = node.nodeType === 1 && node.dataset.key && tl.querySelector('[data-key="' + node.dataset.key + '"]');
          if (had) {
            if (had.dataset.live) tl.replaceChild(node, had);  // drawn from its event: the full one replaces it
            continue;
          }
          if (node.nodeType !== 1) continue;
          tl.appendChild(node);
          added = true;
          if (node.dataset.author && node.dataset.author !== im.dataset.me) otherReplied(node);
        }
        if (added) toBottom();
      }
      tl.dataset.m = j.m;
      tl.dataset.e = j.e;
      var clock = document.getElementById("im-clock");
      if (clock) clock.innerHTML = j.clock_html;
      var status = pane.querySelector('[data-testid="ticket-status"]');
      if (status) status.textContent = j.status_label;
      var holder = pane.querySelector('[data-testid="ticket-assignee"]');  // a reply takes an unassigned conversation
      if (holder && j.assignee_label) holder.textContent = j.assignee_label;
      D.tick();
    }).catch(function () { if (timeline() === tl) retryLater("pane"); })
      .then(function () { paneBusy = false; if (paneAgain) { paneAgain = false; refreshTimeline(); } });
  }

  // --- a pushed message of the open conversation is drawn at once from its event (docs/live.md: the author's
  // kind, id and name, the text when it is complete); the timeline read that follows replaces it with the full
  // one (delivery badge, script). A file, or a text longer than the event's preview, waits for that read.
  // The label follows the author's kind only: a customer's message is never drawn as an agent's. ---
  function drawPushed(d) {
    var tl = timeline(), a = d.author;
    if (!tl || !a || !d.complete || d.attachment || String(d.conversation_id) !== tl.dataset.conversation) return;
    var key = "m" + d.message_id;
    if (!/^\d+$/.test(String(d.message_id)) || tl.querySelector('[data-key="' + key + '"]')) return;
    var dir = {customer: "inbound", note: "note"}[a.kind] || "outbound";
    var node = document.createElement("div");
    node.className = "msg msg-" + dir + (a.kind === "bot" ? " msg-bot" : "");
    node.setAttribute("data-key", key);
    node.setAttribute("data-live", "1");
    node.setAttribute("data-testid", "msg-" + dir);
    if (a.kind === "agent" && a.id) {
      node.setAttribute("data-author", String(a.id));
      node.setAttribute("data-author-name", a.name || "");
    }
    var label = a.kind === "customer" ? _("顾客") : a.kind === "note" ? _("内部备注") + " · " + (a.name || _("系统")) :
      a.kind === "bot" ? _("机器人") : (a.name || _("客服"));
    var at = String(d.at || "");  // local time, ISO: shown as the timeline shows it (m-d H:i:s)
    var meta = document.createElement("div"), body = document.createElement("div");
    meta.className = "meta";
    meta.textContent = label + " · " + at.slice(5, 10) + " " + at.slice(11, 19);
    body.className = "body";
    String(d.preview || "").split("\n").forEach(function (part, i) {
      if (i) body.appendChild(document.createElement("br"));
      body.appendChild(document.createTextNode(part));
    });
    node.appendChild(meta);
    node.appendChild(body);
    tl.appendChild(node);
    toBottom();
    if (node.dataset.author && node.dataset.author !== im.dataset.me) otherReplied(node);
  }

  // --- two agents in one conversation: a reply by another agent arriving in the open conversation is said
  // above the composer (the customer already has an answer; look before sending yours). Sending clears it. ---
  function otherReplied(node) {
    var box = pane.querySelector('[data-testid="im-collision"]');
    if (!box) return;
    box.textContent = (window.interpolate || function (t, v) { return t.replace("%(name)s", v.name); })(
      _("%(name)s 刚刚回复了这位顾客，发送前请先看一下上面的回复。"), {name: node.dataset.authorName || ""}, true);
    box.hidden = false;
  }
  function collisionClear() {
    var box = pane.querySelector('[data-testid="im-collision"]');
    if (box) { box.hidden = true; box.textContent = ""; }
  }

  // --- drafts: one per conversation, kept in this tab until sent (switching conversations loses nothing) ---
  function draftKey(id) { return "shouhou.desk.draft." + im.dataset.me + "." + id; }
  function draftSave() {
    var id = openId(), reply = document.getElementById("im-reply");
    if (!id || !reply) return;
    try {
      if (reply.value.trim()) {
        sessionStorage.setItem(draftKey(id), JSON.stringify({body: reply.value, script: document.getElementById("im-script-id").value}));
      } else { sessionStorage.removeItem(draftKey(id)); }
    } catch (e) { /* storage full or refused: the draft stays only on screen */ }
  }
  function draftRestore() {
    var id = openId(), reply = document.getElementById("im-reply"), saved = null;
    if (!id || !reply) return;
    try { saved = JSON.parse(sessionStorage.getItem(draftKey(id)) || "null"); } catch (e) { saved = null; }
    if (saved && saved.body) {
      reply.value = saved.body;
      document.getElementById("im-script-id").value = saved.script || "";
    }
  }
  function draftClear(id) { try { sessionStorage.removeItem(draftKey(id)); } catch (e) { /* nothing kept */ } }
  pane.addEventListener("input", function (ev) { if (ev.target.id === "im-reply") draftSave(); });
  window.addEventListener("pagehide", draftSave);
  draftRestore();

  function openTicket(id, push) {
    draftSave();  // the draft of the conversation being left
    return fetch(im.dataset.paneUrl.replace("/0/", "/" + id + "/"), {credentials: "same-origin", headers: SHOP})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        pane.innerHTML = html;
        draftRestore();
        rows.querySelectorAll(".im-row").forEach(function (li) { li.classList.toggle("current", li.dataset.ticket === String(id)); });
        if (!rows.querySelector('.im-row[data-ticket="' + id + '"]')) refreshListSoon();  // past the cut: asked for by id
        if (push !== false) history.pushState({t: id}, "", im.dataset.pageUrl + "?t=" + id + (im.dataset.scope === "all" ? "&scope=all" : "") +
                                          "&shop=" + encodeURIComponent(im.dataset.deskShop || ""));  // a reload stays on this tab's shop
        toBottom();
        var reply = document.getElementById("im-reply");
        if (reply) reply.focus();
        clearUnseen();
        D.tick();
      });
  }
  // The page as loaded (a link, a reload) is a step of the history too: Back to it shows its conversation — before
  // 2026-12-07 the address went back and the pane stayed on the conversation opened since. It starts at the newest
  // message, as a conversation opened from the list does.
  history.replaceState({t: openId() || null}, "");
  toBottom();
  window.addEventListener("popstate", function (ev) {
    if (ev.state && ev.state.t) openTicket(ev.state.t, false);
    else if (ev.state) location.reload();  // back to the desk as opened without a conversation
  });
  im.querySelector(".im-list").addEventListener("click", function (ev) {  // a row, or a nudge above the rows
    var a = ev.target.closest("[data-open]");
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    ev.preventDefault();
    openTicket(a.dataset.open);
  });
  // The next waiting conversation below the open one in the list, wrapping to the top: pressed again and again it
  // walks the list (before 2026-12-07 it took the first waiting one other than the open one, so it went back and
  // forth between the two longest-waiting conversations).
  function nextWaiting() {
    var current = openId(), all = rows.querySelectorAll(".im-row"), start = 0;
    for (var i = 0; i < all.length; i++) { if (all[i].dataset.ticket === current) { start = i + 1; break; } }
    for (var k = 0; k < all.length; k++) {
      var row = all[(start + k) % all.length];
      if (row.hasAttribute("data-waiting") && row.dataset.ticket !== current) return openTicket(row.dataset.ticket);
    }
  }
  document.getElementById("im-next").addEventListener("click", nextWaiting);

  // --- actions: reply or note, status; answers are JSON, nothing reloads ---
  function post(url, data) {
    return fetch(url, {method: "POST", credentials: "same-origin", body: data,
                       headers: {"X-CSRFToken": D.csrf(), "X-Desk-Fetch": "1", "Accept": "application/json",
                                 "X-Desk-Shop": SHOP["X-Desk-Shop"]}})
      .then(function (r) { return r.json().catch(function () { return {ok: false, error: _("操作失败，请重试")}; }); });
  }
  var netSaid = false;  // the last thing said was 「网络不稳定」: taken back when the connection is up again
  function say(text) { netSaid = false; var s = document.getElementById("im-status"); if (s) s.textContent = text || ""; }
  function sayOffline() { say(_("网络不稳定，请稍后再试")); netSaid = true; }
  pane.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.id !== "im-composer") return;
    ev.preventDefault();
    var reply = document.getElementById("im-reply"), blocked = pane.querySelector('[data-testid="reply-blocked"]');
    var file = document.getElementById("im-file");
    if (form.dataset.busy) return;
    var asNote = document.getElementById("im-as-note").checked;
    if (!reply.value.trim() && !(file && file.files.length)) {
      say(asNote ? _("备注内容不能为空") : _("回复内容不能为空"));
      reply.focus();
      return;
    }
    form.dataset.busy = "1";
    say(_("发送中…"));  // never the last send's "已回复" while this one is on its way
    var data = new FormData(form), ticketId = openId();
    post(asNote ? form.dataset.noteUrl : form.action, data).then(function (j) {
      blocked.hidden = true;
      if (j.ok) {
        draftClear(ticketId);
        if (openId() !== ticketId) { say(j.message); refreshListSoon(); return; }  // the agent moved on meanwhile
        reply.value = "";
        collisionClear();
        if (file) { file.value = ""; document.getElementById("im-file-name").textContent = ""; }
        document.getElementById("im-script-id").value = "";
        say(j.message);
        refreshTimeline();
        refreshListSoon();
        ratesLater();
      } else if (j.blocked) {
        blocked.textContent = "";
        var head = document.createElement("strong");
        head.textContent = _("这条回复没有发出：");
        var list = document.createElement("ul");
        j.blocked.forEach(function (r) { var li = document.createElement("li"); li.textContent = r; list.appendChild(li); });
        blocked.appendChild(head);
        blocked.appendChild(list);
        blocked.hidden = false;
        say(_("这条回复没有发出"));
      } else {
        say(j.error || _("操作失败，请重试"));
      }
    }).catch(sayOffline).then(function () { delete form.dataset.busy; });
  });
  // Only Ctrl+Enter in the reply box, or the 发送 button, sends. Enter in a field of the composer (the note
  // switch, the file picker) would submit the form by the browser's implicit submission: it does nothing here.
  pane.addEventListener("keydown", function (ev) {
    // Enter that confirms an IME candidate (拼音) is the IME's: isComposing in Chrome and Firefox; Safari sends it
    // after compositionend, with keyCode 229
    if (ev.key !== "Enter" || ev.isComposing || ev.keyCode === 229) return;
    if (ev.target.id === "im-reply") {
      if (ev.ctrlKey || ev.metaKey) {
        ev.preventDefault();
        document.getElementById("im-composer").requestSubmit();
      }
      return;
    }
    if (ev.target.id === "im-script-search") { ev.preventDefault(); pickFirstScript(ev.target); return; }
    if (ev.target.classList.contains("case-reason")) {  // Enter in a reject reason rejects (the button's action)
      ev.preventDefault();
      var rejectBtn = ev.target.parentNode.querySelector("[data-case-op=reject]");
      if (rejectBtn) caseAct(rejectBtn);
      return;
    }
    if (ev.target.tagName === "INPUT" && ev.target.closest("#im-composer")) ev.preventDefault();
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.altKey && !ev.ctrlKey && !ev.metaKey && (ev.key === "n" || ev.key === "N" || ev.code === "KeyN")) {
      ev.preventDefault();
      nextWaiting();
    }
  });
  pane.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-act=status]");
    if (btn) {
      var form = document.getElementById("im-composer"), data = new FormData();
      data.append("status", btn.dataset.value);
      post(form.dataset.actUrl, data).then(function (j) {
        if (!j.ok) { say(j.error); return; }
        openTicket(openId(), false);
        refreshListSoon();
      });
      return;
    }
    var chip = ev.target.closest("[data-im-script]");
    if (chip) { useScript(chip.dataset.imScript, chip.dataset.scriptId); return; }
    var act = ev.target.closest("[data-case-act]");
    if (act) caseAct(act);
  });

  // --- 转接: give the open conversation to another agent of the shop (the services check who may; the answer says
  // to whom). The pane is drawn again (its assignee), the list follows (in 我的, a conversation given away leaves). ---
  function transfer(select) {
    var form = document.getElementById("im-composer"), data = new FormData(), forTicket = openId();
    if (!select.value || !form || select.dataset.busy) return;
    var name = select.options[select.selectedIndex].textContent;
    if (!window.confirm((window.interpolate || function (t, v) { return t.replace("%(name)s", v.name); })(
      _("把这个会话转接给 %(name)s 吗？"), {name: name}, true))) { select.value = ""; return; }
    data.append("agent", select.value);
    select.dataset.busy = "1";
    post(form.dataset.assignUrl, data).then(function (j) {
      if (!j.ok) { say(j.error || _("操作失败，请重试")); select.value = ""; return; }
      if (openId() === forTicket) openTicket(forTicket, false).then(function () { say(j.message); });
      refreshListSoon();
    }).catch(function () { sayOffline(); select.value = ""; })
      .then(function () { delete select.dataset.busy; });
  }

  // --- the side panel's cases: 同意 / 拒绝 without leaving the conversation. The case services decide who may
  // and what the case's state allows; their refusal is shown on the case; on success the panel is redrawn. ---
  function caseAct(btn) {
    var card = btn.closest("[data-case]"), error = card.querySelector(".case-msg"), data = new FormData();
    var reason = card.querySelector(".case-reason"), reject = btn.dataset.caseOp === "reject";
    function refuse(text) { error.textContent = text; error.hidden = false; }
    if (card.dataset.busy) return;
    if (reject) {
      if (!reason.value.trim()) { refuse(_("请填写拒绝原因")); reason.focus(); return; }
      data.append("reason", reason.value.trim());
    } else if (btn.dataset.ask && !window.confirm(btn.dataset.ask)) {
      return;  // approving money: the agent confirmed the amount, or nothing happens
    }
    card.dataset.busy = "1";
    error.hidden = true;
    var forTicket = openId();
    post(btn.dataset.caseAct, data).then(function (j) {
      if (openId() !== forTicket) return;  // the agent has moved to another conversation meanwhile
      if (!j.ok) { refuse(j.error || _("操作失败，请重试")); return; }
      var panel = document.getElementById("im-cases");
      if (panel && j.html) {
        panel.outerHTML = j.html;
        var status = document.getElementById("im-case-status");
        if (status) status.textContent = j.message || "";
      }
      refreshTimeline();  // the case action is on the ticket's timeline
    }).catch(function () { refuse(_("网络不稳定，请稍后再试")); })
      .then(function () { delete card.dataset.busy; });
  }

  // A case of this conversation changed elsewhere (the cases page, the portal, a platform, another agent): the
  // push names it, and the panel is drawn again. What the agent is typing in a reject reason and the last
  // action's line are kept; a card whose action is on its way is left alone (its own answer redraws).
  var casesBusy = false, casesAgain = false;
  function caseConcerns(d) {
    var panel = document.getElementById("im-cases");
    if (!panel) return false;
    var shown = (panel.dataset.cases || "").split(" ");
    return (d.customer_id && String(d.customer_id) === panel.dataset.customer) ||
      (d.order_id && String(d.order_id) === panel.dataset.order) || shown.indexOf(String(d.case_id)) !== -1;
  }
  function refreshCases() {
    var panel = document.getElementById("im-cases");
    if (!panel) return Promise.resolve();
    if (casesBusy || panel.querySelector("[data-case][data-busy]")) { casesAgain = true; return Promise.resolve(); }
    casesBusy = true;
    var forTicket = openId();
    return getJSON(panel.dataset.url).then(function (j) {
      var now = document.getElementById("im-cases");
      if (!now || openId() !== forTicket || !j.html) return;
      var typed = {}, focused = document.activeElement, focusCase = null;
      now.querySelectorAll("[data-case]").forEach(function (card) {
        var reason = card.querySelector(".case-reason");
        if (reason && reason.value) typed[card.dataset.case] = reason.value;
        if (reason && reason === focused) focusCase = card.dataset.case;
      });
      var status = document.getElementById("im-case-status"), said = status ? status.textContent : "";
      now.outerHTML = j.html;
      document.querySelectorAll("#im-cases [data-case]").forEach(function (card) {
        var reason = card.querySelector(".case-reason");
        if (!reason) return;
        if (typed[card.dataset.case]) reason.value = typed[card.dataset.case];
        if (focusCase === card.dataset.case) reason.focus();
      });
      var statusNow = document.getElementById("im-case-status");
      if (statusNow && said && !statusNow.textContent) statusNow.textContent = said;
    }).catch(function () { /* the next case event, or opening the conversation again, redraws it */ })
      .then(function () { casesBusy = false; if (casesAgain) { casesAgain = false; refreshCases(); } });
  }

  // --- scripts: chips and a search over the whole library (title and text) ---
  function useScript(url, id) {
    var forTicket = openId();
    getJSON(url).then(function (j) {
      if (openId() !== forTicket) return;  // rendered for a conversation the agent has left
      if (j.error) { say(j.error); return; }
      // An empty box, or one holding only the last script as it came, takes the script; a draft the agent typed is
      // kept and the script goes in at the cursor (before 2026-12-07 picking a script wiped the draft for good).
      var reply = document.getElementById("im-reply"), draft = reply.value;
      if (!draft.trim() || draft === reply.dataset.scriptText) {
        reply.value = reply.dataset.scriptText = j.text;
      } else {
        var at = reply.selectionStart != null ? reply.selectionStart : draft.length;
        var to = reply.selectionEnd != null ? reply.selectionEnd : at;
        reply.value = draft.slice(0, at) + j.text + draft.slice(to);
        reply.selectionStart = reply.selectionEnd = at + j.text.length;
        delete reply.dataset.scriptText;
      }
      document.getElementById("im-script-id").value = j.id || id || "";
      draftSave();
      say("");
      reply.focus();
    }).catch(function () { say(_("话术加载失败，请重试")); });
  }
  // Enter in the search box: the script whose title is what was typed (a pick from the list), else the first
  // whose title or text contains it, in the list's order (this ticket's suggestions first); none: say so.
  function pickFirstScript(input) {
    var query = input.value.trim().toLowerCase(), options = document.querySelectorAll("#im-script-list option");
    if (!query) return;
    var found = null;
    for (var i = 0; i < options.length && !found; i++) { if (options[i].value.toLowerCase() === query) found = options[i]; }
    for (var k = 0; k < options.length && !found; k++) {
      // the whole text (data-text): the list shows its first 40 characters only
      var text = options[k].value + " " + (options[k].dataset.text || options[k].textContent);
      if (text.toLowerCase().indexOf(query) !== -1) found = options[k];
    }
    if (!found) { say(_("没有找到匹配的话术")); return; }
    input.value = "";
    useScript(found.dataset.url, found.dataset.scriptId);
  }
  // A picture pasted into the reply box (a screenshot: Ctrl+V) becomes the reply's file, as if picked with the
  // 图片/文件 button (checked by the server like any upload); on a channel that takes no files nothing changes.
  pane.addEventListener("paste", function (ev) {
    var file = document.getElementById("im-file"), data = ev.clipboardData;
    if (ev.target.id !== "im-reply" || !file || !data || !data.files || !data.files.length) return;
    var picture = null;
    for (var i = 0; i < data.files.length; i++) {
      if (/^image\//.test(data.files[i].type)) { picture = data.files[i]; break; }
    }
    if (!picture || !window.DataTransfer) return;
    var box = new DataTransfer();
    box.items.add(picture.name && picture.name !== "image.png" ? picture :
      new File([picture], _("截图") + "." + (picture.type.split("/")[1] || "png"), {type: picture.type}));
    file.files = box.files;
    document.getElementById("im-file-name").textContent = file.files[0].name;
    if (!data.getData("text/plain")) ev.preventDefault();  // nothing else to paste
  });
  pane.addEventListener("change", function (ev) {
    if (ev.target.id === "im-transfer") { transfer(ev.target); return; }
    if (ev.target.id === "im-file") {
      document.getElementById("im-file-name").textContent = ev.target.files.length ? ev.target.files[0].name : "";
      return;
    }
    if (ev.target.id !== "im-script-search") return;
    var value = ev.target.value, options = document.querySelectorAll("#im-script-list option");
    for (var i = 0; i < options.length; i++) {
      if (options[i].value === value) { useScript(options[i].dataset.url, options[i].dataset.scriptId); ev.target.value = ""; return; }
    }
  });

  // --- alerts for new customer messages ---
  var KEY = "shouhou.desk.alerts." + im.dataset.me;
  var settings = {sound: true, desktop: false, title: true};
  try { Object.assign(settings, JSON.parse(localStorage.getItem(KEY) || "{}")); } catch (e) { /* defaults */ }
  document.querySelectorAll("[data-alert]").forEach(function (box) {
    box.checked = !!settings[box.dataset.alert];
    box.addEventListener("change", function () {
      settings[box.dataset.alert] = box.checked;
      try { localStorage.setItem(KEY, JSON.stringify(settings)); } catch (e) { /* private mode */ }
      if (box.dataset.alert === "desktop" && box.checked && window.Notification && Notification.permission === "default") {
        Notification.requestPermission();
      }
    });
  });
  // The tone. Browsers start an AudioContext made before the page's first click or key press "suspended", and it
  // stays so until resume() is called after one: before 2026-12-07 a message that arrived before the agent touched
  // the desk made the context silent for good, every later tone unheard (yet counted as rung). Now the first click
  // or key press resumes it, a tone asks for it too, and a tone is counted only when the context plays.
  var audio = null;
  function audioContext() {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === "suspended" && audio.resume) {
      var resumed = audio.resume();  // refused (or left pending) until the page has had a click or key press
      if (resumed && resumed.catch) resumed.catch(function () { /* no gesture yet */ });
    }
    return audio;
  }
  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, function () {
      if (settings.sound && (!audio || audio.state === "suspended")) { try { audioContext(); } catch (e) { /* no audio */ } }
    }, true);
  });
  function beep() {
    try {
      audioContext();
      if (audio.state !== "running") return false;  // not allowed to play yet: no click or key press on the page
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.35);
      return true;
    } catch (e) { return false; }
  }
  function clearUnseen() { unseen = 0; document.title = baseTitle; }
  window.addEventListener("focus", function () { if (openId()) clearUnseen(); });
  // One alert per agent per message, however many desk tabs the agent has open: before 2026-12-07 every tab
  // rang for the same message. Each tab says in this browser's storage how much it is in front (2 visible and
  // focused, 1 visible, 0 in the background; one key per tab, kept fresh every 5 s). The tab most in front (ties:
  // the smallest id) alerts as soon as it hears the message; the others wait 2 s — a tab may hear a push a moment
  // after another — and alert only if no tab has. The claim is made under a lock all the agent's tabs share (Web
  // Locks; where the page is not a secure context and has none, a read and a write of localStorage), so a message
  // is alerted once. A tab showing that very conversation, in front, claims it and says nothing.
  var decided = 0, CLAIMS = "shouhou.desk.alerted." + im.dataset.me, TABS = "shouhou.desk.tab." + im.dataset.me + ".";
  var tabId = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  function rank() { return document.hidden ? 0 : (document.hasFocus() ? 2 : 1); }
  function present() {
    try { localStorage.setItem(TABS + tabId, JSON.stringify({rank: rank(), at: Date.now()})); } catch (e) { /* none */ }
  }
  function leads() {
    var best = {rank: rank(), id: tabId};
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var k = localStorage.key(i);
        if (!k || k.indexOf(TABS) !== 0 || k === TABS + tabId) continue;
        var t = JSON.parse(localStorage.getItem(k) || "{}"), id = k.slice(TABS.length);
        if (!t.at || Date.now() - t.at > 15000) { localStorage.removeItem(k); continue; }  // a tab gone
        if (t.rank > best.rank || (t.rank === best.rank && id < best.id)) best = {rank: t.rank, id: id};
      }
    } catch (e) { /* no storage: every tab leads, as a single tab would */ }
    return best.id === tabId;
  }
  present();
  setInterval(present, 5000);
  ["visibilitychange", "focus", "blur"].forEach(function (name) {
    (name === "visibilitychange" ? document : window).addEventListener(name, present);
  });
  window.addEventListener("pagehide", function () { try { localStorage.removeItem(TABS + tabId); } catch (e) { /* none */ } });
  var takenHere = [];  // without storage: this tab's own claims (one alert per message in this tab, at least)
  function takeOnce(key, also) {
    var keys = [key].concat(also || []), first = true;
    try {
      var taken = JSON.parse(localStorage.getItem(CLAIMS) || "[]");
      first = taken.indexOf(key) === -1;
      keys.forEach(function (k) { if (taken.indexOf(k) === -1) taken.push(k); });
      localStorage.setItem(CLAIMS, JSON.stringify(taken.slice(-300)));
    } catch (e) {
      first = takenHere.indexOf(key) === -1;
      takenHere = takenHere.concat(keys).slice(-300);
    }
    return first;
  }
  // `also`: keys of the same news taken with this one (a routed new chat: its message, announced as the assignment)
  function claim(key, ticketId, fire, also) {
    present();
    setTimeout(function () {
      function decide() {
        var looking = !document.hidden && document.hasFocus() && ticketId && openId() === String(ticketId);
        if (takeOnce(key, also) && !looking) fire();
        decided += 1;
        im.dataset.decided = decided;
      }
      if (navigator.locks && navigator.locks.request) {
        navigator.locks.request(CLAIMS, function () { decide(); }).catch(decide);
      } else { decide(); }
    }, leads() ? 0 : 2000);
  }
  function ring(title, body, conversationId, ticketId) {
    var kinds = [];
    if (settings.sound && beep()) kinds.push("sound");
    if (settings.title) {
      unseen += 1;
      document.title = "(" + unseen + ") " + _("新消息") + " · " + baseTitle;
      kinds.push("title");
    }
    if (settings.desktop && window.Notification && Notification.permission === "granted") {
      var n = new Notification(title, {body: body, tag: "shouhou-" + conversationId});
      n.onclick = function () {
        window.focus();
        var row = rows.querySelector('.im-row[data-conversation="' + conversationId + '"]');
        var id = ticketId || (row && row.dataset.ticket);
        if (id) openTicket(id);
      };
      kinds.push("desktop");
    }
    alerts += 1;
    im.dataset.alerts = alerts;
    im.dataset.lastAlert = kinds.join(",");
  }
  // Without the push (polling), a customer message is known from the list: each row names its conversation's last
  // customer message (data-last-in). One newer than any the list has shown — in a conversation that is the agent's
  // or unassigned — alerts as a pushed one does, under the same key, so it is never alerted twice (ids only grow;
  // rows that merely come into view, a scope switch, carry older ones). Before 2026-12-07 only pushed messages
  // alerted: a desk on the polling fallback showed new chats without a sound or a tab title.
  var newestIn = null;  // the newest customer message id the list has shown
  // The same for conversations given to this agent by someone else (a transfer, the routing): each such row names
  // the `assigned` event that gave it (data-transfer); one newer than any the list showed alerts as the pushed ticket
  // event does (alertForTransfer), under the same key "a<event id>". Before 2026-12-07 (evening) only the push alerted a
  // transfer: on the polling fallback the conversation joined the list without a sound or a tab title.
  var newestTransfer = null;
  // The push (re)connected or said "reset" (too far behind to replay: docs/live.md point 8): the next list read
  // alerts what it shows new, as a poll does. Messages the replay brings alert under the same keys: never twice.
  var catchUpNext = false;
  function noteCustomerMessages(alertNew) {
    // transfers first: a conversation alerted as given to the agent is not alerted again for its customer message
    // (older than the transfer, or in the same read): one alert for it, as on the push, and the message's key is
    // taken so the push coming back does not announce it either
    var given = newestTransfer, newestGiven = newestTransfer || 0, announced = {};
    rows.querySelectorAll(".im-row[data-transfer]").forEach(function (row) {
      var id = parseInt(row.dataset.transfer, 10);
      if (!id) return;
      newestGiven = Math.max(newestGiven, id);
      if (given === null || id <= given || !alertNew || row.dataset.assignee !== im.dataset.me) return;
      announced[row.dataset.ticket] = true;
      transferAlert(id, row.dataset.conversation, row.dataset.ticket, row.dataset.transferBy);
    });
    newestTransfer = newestGiven;
    var before = newestIn, newest = newestIn || 0;
    rows.querySelectorAll(".im-row[data-last-in]").forEach(function (row) {
      var id = parseInt(row.dataset.lastIn, 10), conv = row.dataset.conversation, ticketId = row.dataset.ticket;
      if (!id) return;
      newest = Math.max(newest, id);
      if (before === null || id <= before || !alertNew) return;
      if (row.dataset.assignee && row.dataset.assignee !== im.dataset.me) return;  // another agent's conversation
      if (!row.dataset.assignee && !canTake) return;  // unassigned: for those who can take it (not a read-only role)
      var preview = row.querySelector(".im-last");
      claim("m" + id, ticketId, announced[ticketId] ? function () { /* alerted as a transfer */ } : function () {
        ring(_("新的顾客消息"), preview ? preview.textContent : "", conv, ticketId);
      });
    });
    newestIn = newest;
  }
  function transferAlert(eventId, conversationId, ticketId, byName, also) {
    claim("a" + eventId, ticketId, function () {
      // given by the routing (no person): said so, not 「 把一个会话转接给你」 with an empty name
      var text = !byName ? _("系统把一个会话分配给你") : (window.interpolate || function (t, v) { return t.replace("%(name)s", v.name); })(
        _("%(name)s 把一个会话转接给你"), {name: byName}, true);
      ring(_("转接给你的会话"), text, conversationId, ticketId);
    }, also);
  }
  noteCustomerMessages(false);
  // A new chat (or a hand-off) that the routing gave to an agent in the same transaction: its event names the
  // assignment (docs/live.md). Only that agent is alerted, once, as given to them — under the assignment's key, which
  // the `assigned` event that follows and the polling fallback use too, and the message's key is taken with it.
  // Before 2026-12-07 the message alerted every desk (its ticket did not exist yet) and the assignment the routed
  // agent's again.
  function routedAlert(d, messageKey) {
    if (String(d.assignee_id) !== im.dataset.me) return;
    keep(d.conversation_id);
    transferAlert(d.assigned_event_id, d.conversation_id, d.ticket_id, d.assigned_by || "", [messageKey]);
  }
  function alertFor(f) {
    var d = f.data;
    if (d.who !== "me" || d.bot_receives) return;  // the bot answers it: nothing for a person yet (no list row either)
    if (d.assigned_event_id) { routedAlert(d, "m" + d.message_id); return; }
    if (d.assignee_id && String(d.assignee_id) !== im.dataset.me) return;  // another agent's conversation
    if (!d.assignee_id && !canTake) return;  // nobody's yet: for those who can take it (not a read-only role)
    keep(d.conversation_id);  // in the list even past its cut
    claim("m" + d.message_id, d.ticket_id, function () {
      ring(_("新的顾客消息"), d.preview, d.conversation_id, d.ticket_id);
    });
  }
  // A conversation transferred to this agent by someone else (the ticket event names the new assignee, docs/live.md):
  // the same alert as a new message, and it joins the list (a refresh follows every event); the giver's list drops it.
  function alertForTransfer(f) {
    var d = f.data;
    if (d.kind !== "assigned" || !d.assignee_id || String(d.assignee_id) !== im.dataset.me) return;
    if (d.actor_id && String(d.actor_id) === im.dataset.me) return;  // taken by the agent themselves
    keep(d.conversation_id);
    transferAlert(d.event_id, d.conversation_id, d.ticket_id, d.actor_name);
  }

  // The bot handed a conversation over to a person (转人工; the event names the customer's last message): it alerts
  // as a new customer message, under that message's key (the list's data-last-in on the polling fallback), once.
  // Before 2026-12-07 (evening) every message the bot answered alerted the desks, a conversation no list showed.
  function alertForHandoff(f) {
    var d = f.data;
    if (d.kind !== "bot_handoff" || !d.message_id) return;
    if (d.assigned_event_id) { routedAlert(d, "m" + d.message_id); return; }
    if (d.assignee_id && String(d.assignee_id) !== im.dataset.me) return;  // another agent's conversation
    if (!d.assignee_id && !canTake) return;
    keep(d.conversation_id);
    claim("m" + d.message_id, d.ticket_id, function () {
      ring(_("新的顾客消息"), d.preview || "", d.conversation_id, d.ticket_id);
    });
  }

  // --- live push, polling as the fallback ---
  function matches(f) {
    var tl = timeline();
    if (!tl) return false;
    return (f.kind === "message" && String(f.data.conversation_id) === tl.dataset.conversation) ||
      (f.kind === "ticket" && String(f.data.ticket_id) === tl.dataset.ticket);
  }
  if (window.ShouhouLive) {
    window.ShouhouLive.open(im.dataset.live, {
      after: im.dataset.liveSeq,
      onEvent: function (f) {
        if (f.kind === "case") {  // a case changed: its panel, if it is this conversation's (the list shows no cases)
          if (caseConcerns(f.data)) refreshCases();
          return;
        }
        if (f.kind === "message" && matches(f)) drawPushed(f.data);
        if (matches(f)) refreshTimeline();
        if (f.kind === "message") alertFor(f);  // before the list is asked for: it keeps the alerted one
        if (f.kind === "ticket") { alertForTransfer(f); alertForHandoff(f); }
        refreshListSoon();
      },
      onReset: function () { catchUpNext = true; refreshTimeline(); refreshList(); refreshCases(); },
      onState: function (up) {
        liveUp = up;
        im.dataset.state = up ? "on" : "off";
        if (up) { catchUpNext = true; refreshTimeline(); refreshListSoon(); if (netSaid) say(""); }
      }
    });
  }
  // Polling, only while the push is not connected: every 5 s in front; in the background (another tab or window in
  // front) the list alone every 15 s, for the alerts — before 2026-12-07 a hidden desk without the push stood still
  // and a customer's message made no sound and no tab title until the agent came back.
  var hiddenTicks = 0;
  setInterval(function () {
    if (liveUp) return;
    if (!document.hidden) { hiddenTicks = 0; refreshTimeline(); refreshList(); refreshCases(); return; }
    if (++hiddenTicks % 3 === 0) refreshList();
  }, 5000);
})();
