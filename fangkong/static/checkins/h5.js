// The H5 check-in form, sent with fetch. One id per check-in: a retry after a network failure
// resends the same id (the server answers a replay with the stored card), a new check-in gets a
// new id. Nothing is kept in localStorage, sessionStorage or cookies; only the page's memory.
(function () {
  "use strict";
  var form = document.getElementById("checkin");
  if (!form || !window.fetch || !window.FormData) return; // the plain form POST still works
  var idInput = form.elements.namedItem("id");
  var result = document.getElementById("result");
  var today = document.getElementById("today-card");
  var retry = document.getElementById("retry");
  var retryButton = document.getElementById("retry-button");
  var sending = document.getElementById("sending");
  var send = document.getElementById("send");
  var pending = null; // {snapshot, body}: what was sent and not answered yet

  function newId() {
    // crypto.randomUUID needs a secure context (https or localhost); the server's id is the fallback.
    if (window.crypto && typeof window.crypto.randomUUID === "function") idInput.value = window.crypto.randomUUID();
  }

  function snapshot(data) {
    var parts = [];
    data.forEach(function (value, key) { if (key !== "id" && key !== "csrfmiddlewaretoken") parts.push(key + "=" + value); });
    return parts.join("&");
  }

  function clearErrors() {
    form.querySelectorAll("[data-error]").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function showErrors(errors) {
    var first = null;
    Object.keys(errors).forEach(function (field) {
      var p = form.querySelector('[data-error="' + field + '"]') || form.querySelector('[data-error="form"]');
      p.textContent = errors[field];
      p.hidden = false;
      var input = form.elements.namedItem(field);
      if (input && input.setAttribute) { input.setAttribute("aria-invalid", "true"); first = first || input; }
    });
    (first || form.querySelector('[data-error="form"]')).scrollIntoView({ block: "center" });
    if (first && first.focus) first.focus();
  }

  function p(text, cls) {
    var el = document.createElement("p");
    el.className = cls;
    el.textContent = text;
    return el;
  }

  function card(c) {
    var box = document.createElement("div");
    box.className = "hcard hcard-" + c.card;
    box.setAttribute("data-card", c.card);
    box.appendChild(p(c.card_text, "hcard-title"));
    if (c.reasons && c.reasons.length) box.appendChild(p(form.getAttribute("data-why") + " " + c.reasons.join("; "), "hcard-why"));
    box.appendChild(p(form.getAttribute("data-when").replace("%s", c.time), "hcard-when"));
    return box;
  }

  function busy(on) {
    send.disabled = on;
    sending.hidden = !on;
  }

  function done(c) {
    pending = null;
    result.replaceChildren(card(c));
    today.replaceChildren(card(c));
    form.reset(); // health data leaves the page's fields; the server's defaults come back
    newId();
    result.setAttribute("tabindex", "-1");
    result.focus();
    result.scrollIntoView({ block: "start" });
  }

  function post(body) {
    busy(true);
    retry.hidden = true;
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // Not our answer (a proxy's error page, an expired CSRF token): nothing stored, say so.
        busy(false);
        showErrors({ form: form.getAttribute("data-failed").replace("%s", response.status) });
        return;
      }
      return response.json().then(function (json) {
        busy(false);
        if (response.ok) return done(json);
        pending = null;
        if (json.id) idInput.value = json.id; // after a conflict the server hands out a fresh id
        showErrors(json.errors || { form: json.error });
      });
    }, function () {
      busy(false);
      retry.hidden = false; // keep `pending`: the retry resends the very same body and id
      retryButton.focus();
    });
  }

  newId();
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var data = new FormData(form);
    var snap = snapshot(data);
    if (pending && pending.snapshot !== snap) {
      // Edited after an unanswered send: that one may have arrived, so this is a new check-in
      // (an amendment if so), never the same id with other values.
      newId();
      data.set("id", idInput.value);
    }
    pending = { snapshot: snap, body: data };
    post(data);
  });
  retryButton.addEventListener("click", function () {
    if (pending) post(pending.body);
  });
})();
