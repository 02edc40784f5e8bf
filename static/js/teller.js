// Teller's only script: small behaviours wired by data-attributes (no inline scripts: CSP).
(function () {
  "use strict";

  // An open modal is a history entry of its own (same URL): Back closes the modal instead of leaving the
  // page, and closing it any other way steps back over that entry, so the next Back leaves as it should.
  var modalEntry = false;
  var ignoreNextPop = false;

  function modalOpened() {
    if (modalEntry) return;
    modalEntry = true;
    history.pushState({ tellerModal: true }, "", location.href);
  }

  function modalClosed() {
    if (!modalEntry) return;
    modalEntry = false;
    ignoreNextPop = true;
    history.back();
  }

  function closeModal() {
    var root = document.getElementById("modal");
    var wasOpen = Boolean(root && root.querySelector(".modal"));
    if (root) root.innerHTML = "";
    modalClosed();
    if (wasOpen) returnFocus();
  }

  // Capture on window runs before htmx's own popstate listener, which would otherwise reload the page.
  window.addEventListener("popstate", function (event) {
    if (ignoreNextPop) {
      ignoreNextPop = false;
      event.stopImmediatePropagation();
      return;
    }
    if (modalEntry) {
      modalEntry = false;
      var root = document.getElementById("modal");
      if (root) root.innerHTML = "";
      returnFocus();
      event.stopImmediatePropagation();
      return;
    }
    if (event.state && event.state.tellerModal) event.stopImmediatePropagation();  // Forward onto a closed one
  }, true);

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

  function isTyping(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.isContentEditable || target.closest("input, textarea, select, [contenteditable]"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeModal();
    // "/" focuses the navigation's search box, except while typing in a field or with a modifier held.
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !isTyping(event.target)) {
      var box = document.getElementById("nav-search-q");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    }
  });

  // The "What will happen" box (#consequences) reloads when a field of its form changes the outcome: on
  // change, and while typing in a field marked data-preview-live (the credit amount). Typing the confirmation
  // phrase changes nothing, so it does not ask the server again.
  function refreshConsequences(field) {
    var form = field.closest && field.closest("form");
    if (!form || !form.querySelector("#consequences") || field.matches("[data-confirm-phrase]")) return;
    form.dispatchEvent(new CustomEvent("consequences:refresh"));
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-confirm-phrase]")) syncConfirmPhrases();
    if (event.target.matches("[data-preview-live]")) refreshConsequences(event.target);
  });

  document.addEventListener("change", function (event) {
    syncConditionals();
    refreshConsequences(event.target);
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

  // A refused HTMX request (403) shows its message in place: the server's small fragment opens in the modal
  // when the request was for the modal, otherwise a toast says so. The page itself is never replaced.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status !== 403) return;
    var target = event.detail.target;
    if (target && target.id === "modal") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      event.detail.swapOverride = "innerHTML";
    } else {
      event.detail.shouldSwap = false;
      toast(forbiddenMessage(xhr.responseText));
    }
  });

  function forbiddenMessage(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html || "";
    var message = holder.content.querySelector("#forbidden-message");
    return (message && message.textContent.trim()) || "You do not have permission to do this.";
  }

  // Focus: an opened modal takes the focus (its [autofocus] field, else its first control), Tab and
  // Shift+Tab cycle inside it, and closing it gives the focus back to what opened it (found again by id
  // when the panel it sat in was refreshed meanwhile).
  var opener = null;
  var openerId = "";
  var FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), ' +
    'select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

  function openModalBox() { return document.querySelector("#modal .modal"); }

  function focusables(box) {
    return Array.prototype.filter.call(box.querySelectorAll(FOCUSABLE), function (el) {
      return el.offsetParent !== null || el === document.activeElement;
    });
  }

  function returnFocus() {
    var back = opener && document.contains(opener) ? opener : (openerId && document.getElementById(openerId));
    opener = null;
    openerId = "";
    if (back && back.focus) back.focus();
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.id === "modal" && !openModalBox()) {
      opener = event.detail.elt;
      openerId = (opener && opener.id) || "";
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") return;
    var box = openModalBox();
    if (!box) return;
    var items = focusables(box);
    if (!items.length) { event.preventDefault(); return; }
    var first = items[0], last = items[items.length - 1];
    var inside = box.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && (document.activeElement === last || !inside)) { event.preventDefault(); first.focus(); }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "modal") return;
    var box = target.querySelector(".modal");
    if (box) {
      modalOpened();
      if (!box.contains(document.activeElement)) {
        var first = box.querySelector("[autofocus]") || focusables(box.querySelector(".modal-body") || box)[0];
        if (first) first.focus();
      }
    } else {
      modalClosed();
      returnFocus();
    }
  });

  // A part of an open modal swapped while it held the focus (the "What will happen" box reloading) would drop
  // the focus to the page behind: keep it in the modal.
  document.addEventListener("htmx:afterSwap", function (event) {
    var box = openModalBox();
    var target = event.detail.target;
    if (!box || !target || target.id === "modal" || !box.contains(target)) return;
    if (document.activeElement && document.activeElement !== document.body) return;
    var items = focusables(box);
    if (items.length) items[0].focus();
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
