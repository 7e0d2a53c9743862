(function () {
  // A double tap sends a form twice (two claims, two uploads, or an error page in place of the case just filed):
  // every form of these pages is sent once; the button says it is on its way. A page shown again (back) is live.
  document.addEventListener("submit", function (event) {
    var sent = event.target;
    if (sent.dataset.sending) { event.preventDefault(); return; }
    sent.dataset.sending = "1";
    var button = event.submitter || sent.querySelector("button[type=submit]");
    if (button) {
      button.setAttribute("aria-disabled", "true");
      button.classList.add("sending");
      if (button.dataset.sendingText) { button.textContent = button.dataset.sendingText; }
    }
  });
  // A page that answers a sent form (an error said on it) is, in history, the page's own address fetched by GET:
  // Back to a POST answer the browser may not keep (no-store) showed 「确认重新提交表单」 (ERR_CACHE_MISS).
  var self = document.querySelector("[data-page-url]");
  if (self && window.history && history.replaceState) { history.replaceState(null, "", self.dataset.pageUrl); }
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (f) {
      delete f.dataset.sending;
      f.querySelectorAll("button.sending").forEach(function (b) {
        b.classList.remove("sending");
        b.removeAttribute("aria-disabled");
      });
    });
  });
})();
(function () {
  var form = document.getElementById("claim-form");
  if (!form) return;
  var box = document.getElementById("decision");
  var remedies = box.querySelector(".remedies");
  var wanted = remedies.dataset.kind || "";  // the customer's choice (kept after a server-side error)
  var asked = 0;  // answers come back in any order: only the latest request's answer is shown
  var priceField = form.querySelector("[data-testid=price-field]");
  var priceError = form.querySelector("[data-testid=price-error]");
  // a line of several units: how many the claim is about; 三包 after the unit's warranty: a main part?
  var quantityField = form.querySelector("[data-testid=quantity-field]");
  var quantityError = form.querySelector("[data-testid=quantity-error]");
  var mainPartField = form.querySelector("[data-testid=main-part-field]");
  var mainPartError = form.querySelector("[data-testid=main-part-error]");
  // an electronic device returned without a reason: was it activated? (asked, and required, only then)
  var activatedField = form.querySelector("[data-testid=activated-field]");
  var activatedError = form.querySelector("[data-testid=activated-error]");
  // the item's state: asked (required, nothing pre-chosen) only for a no-reason return
  var conditionField = form.querySelector("[data-testid=condition-field]");
  var conditionError = form.querySelector("[data-testid=condition-error]");
  // an exchange: the size or colour wanted (required for a wrong size)
  var wantedField = form.querySelector("[data-testid=wanted-field]");
  var wantedError = form.querySelector("[data-testid=wanted-error]");
  // an error the preview names a field for, said beside that field ("" clears it)
  function fieldError(el, text) {
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
  }
  function chosenLine() {
    return form.querySelector("input[name=line]:checked");
  }
  // the quantity asked only for a line of several, and not for price protection (the whole line's)
  function quantityRule(reset) {
    if (!quantityField) return;
    var line = chosenLine();
    var most = line ? parseInt(line.dataset.quantity || "1", 10) : 1;
    quantityField.querySelector(".quantity-max").textContent = String(most);
    if (reset) { form.return_quantity.value = String(most); fieldError(quantityError, ""); }
    quantityField.hidden = most <= 1 || form.reason.value === "price_drop";
  }
  function activationRule() {
    if (!activatedField) return;
    var line = chosenLine();
    var reason = form.reason.value;
    var asked = Boolean(line && line.dataset.activation === "1") && (reason === "no_reason" || reason === "size_fit");
    activatedField.hidden = !asked;
    activatedField.querySelectorAll("input[name=activated]").forEach(function (input) {
      input.required = asked;
      if (!asked) input.checked = false;  // not asked: nothing said about activation is posted
    });
    if (!asked) fieldError(activatedError, "");
  }
  function conditionRule() {
    if (!conditionField) return;
    var asked = form.reason.value === "no_reason" || form.reason.value === "size_fit";
    conditionField.hidden = !asked;
    form.condition.required = asked;
    if (!asked) fieldError(conditionError, "");
  }
  function wantedRule(kind) {
    if (!wantedField) return;
    var asked = kind === "exchange";
    wantedField.hidden = !asked;
    form.wanted_spec.required = asked && form.reason.value === "size_fit";
    if (!asked) fieldError(wantedError, "");
  }
  function show(selector, text) {
    var el = box.querySelector(selector);
    el.textContent = text || "";
    el.hidden = !text;
  }
  // The remedies the policy allows for this claim, as radios named "kind" (posted with the form); rebuilt
  // only when the list changes, so a tap is never undone by the answer it caused.
  function renderOptions(options, kind) {
    var list = remedies.querySelector(".options");
    var key = options.map(function (o) { return o.value; }).join(",");
    if (list.dataset.key !== key) {
      list.textContent = "";
      options.forEach(function (o) {
        var label = document.createElement("label");
        label.className = "h5-choice";
        var input = document.createElement("input");
        input.type = "radio";
        input.name = "kind";
        input.value = o.value;
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + o.label));
        list.appendChild(label);
      });
      list.dataset.key = key;
    }
    list.querySelectorAll("input[name=kind]").forEach(function (input) { input.checked = input.value === kind; });
    remedies.hidden = !options.length;
  }
  function refresh() {
    var data = new FormData(form);
    data.delete("photo");
    if (form.photo.files.length) data.append("photo", new Blob(["x"]), "p");
    // the remedy the customer picked; until they pick one the server chooses the recommended one
    data.delete("kind");
    if (wanted) data.set("kind", wanted);
    var mine = ++asked;
    fetch(form.dataset.preview, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      // no answer it can read (the network gone, the page's form stale: a 403 page, not JSON): said, not swallowed
      // — the box kept the last claim's money and a 「请选择办理方式」 with nothing to choose
      .catch(function () { return { error: box.dataset.failed }; })
      .then(function (j) {
        if (mine !== asked) return;
        // a price that is not an amount: said beside the field, and no refund shown for it
        var wrongPrice = j.field === "current_price" && j.error;
        if (priceError) { priceError.textContent = wrongPrice || ""; priceError.hidden = !wrongPrice; }
        // so is a number of units that is not 1 … the line's quantity, or an unreadable main-part answer
        var wrongQuantity = j.field === "return_quantity" && j.error;
        fieldError(quantityError, wrongQuantity);
        var wrongMainPart = j.field === "main_part" && j.error;
        fieldError(mainPartError, wrongMainPart);
        var wrongActivated = j.field === "activated" && j.error;
        fieldError(activatedError, wrongActivated);
        var wrongCondition = j.field === "condition" && j.error;
        fieldError(conditionError, wrongCondition);
        var wrongWanted = j.field === "wanted_spec" && j.error;
        fieldError(wantedError, wrongWanted);
        if (wrongWanted) return;  // said beside the field; the remedies stay (the field is one of them)
        if (wrongPrice || wrongQuantity || wrongMainPart || wrongActivated || wrongCondition) { box.hidden = true; return; }
        if (!j.text && j.error) {
          // said, not swallowed: the last answer's remedies and money no longer hold (e.g. the lookup ended)
          box.hidden = false;
          renderOptions([], "");
          box.querySelector(".what").textContent = j.error;
          box.querySelectorAll(".refund-line, .deduction, .ship-line, .price-sum, .by, .refund-when, .why, .review")
            .forEach(function (el) { el.hidden = true; });
          return;
        }
        if (!j.text) return;
        var t = j.text;
        box.hidden = false;
        renderOptions(t.options || [], t.kind);
        wantedRule(t.kind);
        box.querySelector(".what").textContent = t.what;
        box.querySelector(".refund-label").textContent = t.refund_label;
        box.querySelector(".refund").textContent = t.refund;
        box.querySelector(".refund-line").hidden = !t.refund;
        var share = box.querySelector(".share");
        share.textContent = t.share ? " " + t.share : "";
        share.hidden = !t.share;
        // asked once the preview says the whole unit's warranty has passed (三包); kept while it applies
        if (mainPartField) {
          mainPartField.hidden = !t.ask_main_part;
          // not asked: nothing said about a main part is posted with the claim
          if (!t.ask_main_part) { mainPartField.querySelector("input[name=main_part][value='0']").checked = true; }
        }
        // postage and a send-by date only when the chosen remedy sends the goods back
        box.querySelector(".ship").textContent = t.shipping;
        box.querySelector(".ship-line").hidden = !t.shipping;
        show(".deduction", t.deduction);
        show(".price-sum", t.price_sum);
        show(".by", t.by_text);
        show(".refund-when", t.refund_when);
        show(".why", t.explanation);
        show(".review", t.review);
        box.dataset.kind = t.kind;  // what the texts are for: tests and the submit wait on it
        var submit = form.querySelector("[data-testid=submit]");
        if (submit && t.submit) submit.textContent = t.submit;
      });
  }
  // A photo only where the shop's policy asks for one (the option says so); a lost parcel has none.
  var need = form.querySelector("[data-testid=photo-need]");
  function photoRule() {
    var option = form.reason.options[form.reason.selectedIndex];
    var required = option && option.dataset.photo === "required";
    form.photo.required = required;
    if (need) {
      need.textContent = (option && option.dataset.photoHint) ||
        (required ? need.dataset.required : need.dataset.optional);
    }
    // price protection asks for the price the customer sees now
    if (priceField) {
      var price = form.reason.value === "price_drop";
      priceField.hidden = !price;
      form.current_price.required = price;
      if (!price && priceError) { priceError.hidden = true; }
    }
  }
  form.addEventListener("change", function (event) {
    if (event.target === form.reason) { photoRule(); quantityRule(false); activationRule(); conditionRule(); }
    if (event.target.name === "condition") { fieldError(conditionError, ""); }
    if (event.target.name === "wanted_spec") { fieldError(wantedError, ""); return; }  // no policy fact
    if (event.target.name === "line") { quantityRule(true); activationRule(); }
    if (event.target.name === "activated") { fieldError(activatedError, ""); }
    if (event.target === form.reason || event.target.name === "line") {
      // the remedies shown were for the previous claim: none is posted until the new answer lists them
      // (a quick tap on submit then lets the server choose the recommended one, never a stale choice)
      wanted = "";
      renderOptions([], "");
      wantedRule("");
    }
    if (event.target.name === "kind") { wanted = event.target.value; wantedRule(wanted); }
    if (event.target.name === "current_price" || event.target.name === "return_quantity") { clearTimeout(typing); }
    refresh();
  });
  // the difference follows the price as it is typed (a short pause, not a request per key)
  var typing = 0;
  form.addEventListener("input", function (event) {
    if (event.target.name !== "current_price" && event.target.name !== "return_quantity") return;
    clearTimeout(typing);
    typing = setTimeout(refresh, 300);
  });
  photoRule();
  quantityRule(false);
  activationRule();
  conditionRule();
  refresh();
})();
(function () {
  // A photo over the size the shop keeps is said at once, beside the field, in the page's language: on a slow
  // phone network it was sent whole first (minutes) to be refused, and the form came back without it.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
    var most = parseInt(input.dataset.maxBytes || "0", 10);
    var file = input.files && input.files[0];
    var tooBig = Boolean(most && file && file.size > most);
    input.setCustomValidity(tooBig ? input.dataset.tooBig : "");
    input.setAttribute("aria-invalid", tooBig ? "true" : "false");
    var box = document.getElementById(input.getAttribute("aria-describedby"));
    if (box) {
      box.textContent = tooBig ? input.dataset.tooBig : "";
      box.hidden = !tooBig;
    }
  });
})();
(function () {
  // 「复制」 beside a tracking number: to the clipboard (a page served over plain http has no clipboard API: the
  // number is selected and copied the old way, and stays selected for a long press if even that is refused)
  function copied(button) {
    var before = button.dataset.label || button.textContent;
    button.dataset.label = before;
    button.textContent = button.dataset.copied || before;
    window.setTimeout(function () { button.textContent = before; }, 2000);
  }
  function selectAndCopy(button) {
    var number = button.parentNode.querySelector(".h5-copyable");
    if (!number || !window.getSelection) return;
    var range = document.createRange();
    range.selectNodeContents(number);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      if (document.execCommand("copy")) copied(button);
    } catch (e) { /* selected: the customer copies it by hand */ }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(button.dataset.copy).then(function () { copied(button); },
                                                              function () { selectAndCopy(button); });
    } else {
      selectAndCopy(button);
    }
  });
})();
