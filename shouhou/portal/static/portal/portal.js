(function () {
  var form = document.getElementById("claim-form");
  if (!form) return;
  var box = document.getElementById("decision");
  function refresh() {
    var data = new FormData(form);
    data.delete("photo");
    if (form.photo.files.length) data.append("photo", new Blob(["x"]), "p");
    fetch(form.dataset.preview, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (!j.text) return;
        box.hidden = false;
        box.querySelector(".what").textContent = j.text.what;
        box.querySelector(".ship").textContent = j.text.shipping || "无需寄回";
        box.querySelector(".by").textContent = j.text.by ? "请在 " + j.text.by + " 前寄回" : "";
        box.querySelector(".why").textContent = j.text.explanation;
      });
  }
  // A photo only where the shop's policy asks for one (the option says so); a lost parcel has none.
  var need = form.querySelector("[data-testid=photo-need]");
  function photoRule() {
    var option = form.reason.options[form.reason.selectedIndex];
    var required = option && option.dataset.photo === "required";
    form.photo.required = required;
    if (need) { need.textContent = required ? "（此问题需要上传照片）" : "（此问题无需照片，可选填）"; }
  }
  form.addEventListener("change", function (event) {
    if (event.target === form.reason) { photoRule(); }
    refresh();
  });
  photoRule();
  refresh();
})();
