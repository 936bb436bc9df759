// A live character counter under every field with data-maxlength: people see the limit
// before they reach it, and nothing they type or paste is cut off silently (the server
// says so when a text is too long). Without script the form works the same.
(function () {
  "use strict";
  function attach(field) {
    var max = parseInt(field.getAttribute("data-maxlength"), 10);
    if (!max) return;
    var counter = document.createElement("p");
    counter.className = "counter";
    counter.id = (field.id || field.name) + "-counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", described ? described + " " + counter.id : counter.id);
    function update() {
      var length = field.value.length;
      counter.textContent = length + " / " + max;
      counter.classList.toggle("over", length > max);
    }
    field.addEventListener("input", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var fields = document.querySelectorAll("[data-maxlength]");
    for (var i = 0; i < fields.length; i++) attach(fields[i]);
    // A secret address to copy (a calendar feed) is selected whole when focused.
    var secrets = document.querySelectorAll("input.secret[readonly]");
    for (var j = 0; j < secrets.length; j++) {
      secrets[j].addEventListener("focus", function (event) { event.target.select(); });
    }
  });
})();
