/* shouhou: reveal a masked value (a customer's phone on the desk, a synced order's receiver on the case page).
   The API checks the role, asks the platform to decrypt when the shop's connection allows it, audits the reveal
   with the button's data-reveal-reason and stores nothing. */
(function () {
  "use strict";
  var _ = window.gettext || function (text) { return text; };

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-reveal-kind]");
    if (!btn) return;
    btn.disabled = true;
    fetch("/api/accounts/reveal", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ kind: btn.dataset.revealKind, object_id: parseInt(btn.dataset.revealId, 10),
                             field: btn.dataset.revealField, reason: btn.dataset.revealReason || "" })
    }).then(function (r) { return r.json(); }).then(function (j) {
      if (j.value) { document.getElementById(btn.dataset.revealTarget).textContent = j.value; btn.remove(); }
      else { btn.textContent = j.detail || _("无权查看"); }
    }).catch(function () { btn.disabled = false; btn.textContent = _("查看失败，请重试"); });
  });
})();
