// Small behaviours shared by every page (no inline scripts: the CSP allows only our own files).
document.addEventListener("submit", function (event) {
  // <form data-confirm="…">: ask before sending (e.g. a zero report).
  var form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
document.addEventListener("DOMContentLoaded", function () {
  // <form data-action-template=".../UNIT/..."> with a <select data-action-unit>: post to the chosen unit.
  document.querySelectorAll("form[data-action-template]").forEach(function (form) {
    var unit = form.querySelector("[data-action-unit]") || document.getElementById(form.dataset.actionUnit || "");
    if (!unit) return;
    function sync() { form.action = form.dataset.actionTemplate.replace("UNIT", encodeURIComponent(unit.value)); }
    unit.addEventListener("change", sync);
    sync();
  });
});
