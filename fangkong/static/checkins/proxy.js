// Proxy entry: Enter saves a row (htmx swaps it with its new state), then the next missing
// person's temperature field gets the focus. A row that could not be sent keeps its id, so
// pressing Enter again resends the same check-in.
(function () {
  "use strict";
  var list = document.getElementById("prows");
  if (!list) return;

  function focusRow(row) {
    var input = row && row.querySelector("input[name=temperature]");
    if (input) { input.focus(); input.select(); }
  }

  function nextMissing(row) {
    for (var el = row.nextElementSibling; el; el = el.nextElementSibling) {
      if (el.getAttribute("data-state") === "missing") return el;
    }
    return null;
  }

  // Field errors (422) and conflicts (409) come back as a row to show, not as a failure.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422 || status === 409) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    var row = list.querySelector("[data-after]");
    if (!row) return;
    var how = row.getAttribute("data-after");
    row.removeAttribute("data-after");
    focusRow(how === "next" ? nextMissing(row) : row);
  });

  document.body.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form.prow");
    var msg = form && form.querySelector("[data-msg]");
    if (!msg) return;
    msg.className = "msg error";
    msg.textContent = list.getAttribute("data-not-sent");
    focusRow(form.closest("li"));
  });

  list.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy"));
    input.select();
    var copied = function () { button.textContent = button.getAttribute("data-copied"); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(copied);
    else if (document.execCommand("copy")) copied();
  });

  focusRow(list.querySelector('[data-state="missing"]'));
})();
