// The onboarding wizard: the address is checked while it is typed (is it free, is it well
// formed, a free alternative when it is taken), a slug is proposed from the name until the
// address is typed by hand, and a starter kit ticks its modules. Without script the form
// works the same: the server checks everything again.
(function () {
  "use strict";
  function slugify(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").replace(/^[^a-z]+/, "").slice(0, 40).replace(/-+$/, "");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("wizard");
    if (!form) return;
    var name = document.getElementById("f-name");
    var slug = document.getElementById("f-slug");
    var out = document.getElementById("slug-check");
    var kit = document.getElementById("f-kit");
    var typedByHand = slug.value !== "";
    var timer = null, asked = 0;
    function check() {
      var value = slug.value.trim().toLowerCase();
      if (!value) { out.textContent = ""; return; }
      var mine = ++asked;
      fetch(form.getAttribute("data-slug-check") + "?slug=" + encodeURIComponent(value), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          if (mine !== asked) return; // an older answer arriving late
          out.textContent = answer.message + (answer.suggestion ? " → " + answer.suggestion : "");
          out.className = "slug-check " + (answer.available ? "status-ok" : "status-warn");
          slug.setAttribute("aria-invalid", answer.available ? "false" : "true");
        })
        .catch(function () { out.textContent = ""; });
    }
    function later() { clearTimeout(timer); timer = setTimeout(check, 250); }
    slug.addEventListener("input", function () { typedByHand = slug.value !== ""; later(); });
    name.addEventListener("input", function () {
      if (!typedByHand) { slug.value = slugify(name.value); later(); }
    });
    if (kit) kit.addEventListener("change", function () {
      var option = kit.options[kit.selectedIndex];
      var modules = (option.getAttribute("data-modules") || "").split(",").filter(Boolean);
      if (!option.value) return;
      var boxes = form.querySelectorAll("input[name=modules]");
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = modules.indexOf(boxes[i].value) !== -1;
    });
    if (slug.value) check();
  });
})();
