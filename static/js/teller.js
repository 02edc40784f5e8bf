// Teller's only script: small behaviours wired by data-attributes (no inline scripts: CSP).
(function () {
  "use strict";

  function closeModal() {
    var root = document.getElementById("modal");
    if (root) root.innerHTML = "";
  }

  function toast(message) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 4000);
  }

  // Confirmation phrases: the submit button stays disabled until the phrase is typed exactly.
  function syncConfirmPhrases(root) {
    (root || document).querySelectorAll("[data-confirm-phrase]").forEach(function (input) {
      var target = document.querySelector(input.getAttribute("data-confirm-target"));
      if (target) target.disabled = input.value !== input.getAttribute("data-confirm-phrase");
    });
  }

  // Elements with data-show-when="name=value" are shown only while that form field has that value.
  function syncConditionals(root) {
    (root || document).querySelectorAll("[data-show-when]").forEach(function (el) {
      var form = el.closest("form") || document;
      var parts = el.getAttribute("data-show-when").split("=");
      var checked = form.querySelector('[name="' + parts[0] + '"]:checked');
      var field = checked || form.querySelector('select[name="' + parts[0] + '"]');
      el.hidden = !field || field.value !== parts[1];
    });
  }

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-modal-close]");
    if (closer) { event.preventDefault(); closeModal(); return; }
    var copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      event.preventDefault();
      navigator.clipboard.writeText(copy.getAttribute("data-copy")).then(function () { toast("Copied"); });
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeModal();
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-confirm-phrase]")) syncConfirmPhrases();
  });

  document.addEventListener("change", function (event) {
    syncConditionals();
    var form = event.target.closest("form[data-autosubmit]");
    if (form) form.submit();
  });

  document.body.addEventListener("teller:close-modal", closeModal);
  document.body.addEventListener("teller:toast", function (event) {
    toast(event.detail && event.detail.message);
  });

  // A link that opens a modal fills #modal, even when it sits inside a panel that swaps outerHTML
  // (hx-swap is inherited, and an outerHTML swap would replace the #modal container itself).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "modal" && !event.detail.swapOverride) event.detail.swapOverride = "innerHTML";
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    syncConfirmPhrases(event.target);
    syncConditionals(event.target);
    var autofocus = event.target.querySelector && event.target.querySelector("#modal [autofocus]");
    if (autofocus) autofocus.focus();
  });

  document.addEventListener("DOMContentLoaded", function () {
    syncConfirmPhrases();
    syncConditionals();
  });
})();
