/* Behaviour the pages used to write inline (onchange=, onclick=): a strict Content-Security-Policy allows
   only scripts from this site, so it lives here, delegated from the document.
   data-autosubmit   a <select> that submits its form when changed
   data-print        a button that opens the print dialog
   data-confirm="…"  a submit button that asks first */
(function () {
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) { el.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest ? event.target.closest("[data-print],[data-confirm]") : null;
    if (!el) { return; }
    if (el.hasAttribute("data-print")) { window.print(); return; }
    if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
})();
