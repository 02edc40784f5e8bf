/* Keyboard shortcuts. Lists: j / k move a visible focus between rows (tr[data-href] inside
   [data-keyboard-list]), Enter opens the focused row. Any page: an element with data-key="x" (and
   data-key-label="what it does") is pressed by the key x, the first visible one when several carry it (the
   customer page's tabs, Credit, Cancel, Block), so a key opens the same modal as the button. ? shows the
   shortcuts dialog (the page's own keys included), Escape closes it. Never while typing in a field, with a
   modifier key held or while a modal is open. No framework. */
(function () {
  "use strict";
  var current = null;

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.isContentEditable || target.closest("input, textarea, select, [contenteditable]"));
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-keyboard-list] tr[data-href]"));
  }

  function focusRow(row) {
    if (current) { current.classList.remove("row-focus"); current.removeAttribute("aria-current"); }
    current = row;
    if (!row) return;
    row.classList.add("row-focus");
    row.setAttribute("aria-current", "true");
    if (!row.hasAttribute("tabindex")) row.setAttribute("tabindex", "-1");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = rows();
    if (!list.length) return;
    var index = current ? list.indexOf(current) : -1;
    if (index === -1) index = step > 0 ? 0 : list.length - 1;
    else index = Math.min(list.length - 1, Math.max(0, index + step));
    focusRow(list[index]);
  }

  function dialog() {
    var box = document.getElementById("shortcuts-dialog");
    if (box) box.remove();  // rebuilt each time: the page's keys change with its tab
    box = document.createElement("dialog");
    box.id = "shortcuts-dialog";
    box.className = "shortcuts-dialog";
    box.setAttribute("aria-labelledby", "shortcuts-title");
    var keys = [["j", "Next row"], ["k", "Previous row"], ["Enter", "Open the row"], ["/", "Search"]];
    var seen = {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-key][data-key-label]"), function (el) {
      var key = el.getAttribute("data-key");
      if (seen[key]) return;
      seen[key] = true;
      keys.push([key, el.getAttribute("data-key-label")]);
    });
    keys.push(["?", "This list of shortcuts"], ["Esc", "Close"]);
    var html = '<h2 id="shortcuts-title">Keyboard shortcuts</h2><dl class="shortcuts">';
    keys.forEach(function (k) { html += "<dt><kbd>" + k[0] + "</kbd></dt><dd>" + k[1] + "</dd>"; });
    html += '</dl><form method="dialog"><button class="btn btn-sm" type="submit">Close</button></form>';
    box.innerHTML = html;
    document.body.appendChild(box);
    return box;
  }

  function pageKey(key) {
    var all = document.querySelectorAll('[data-key="' + key.replace(/["\\]/g, "") + '"]');
    for (var i = 0; i < all.length; i++) {
      if (all[i].offsetParent !== null && !all[i].disabled) return all[i];
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var open = document.getElementById("shortcuts-dialog");
    if (open && open.open) return; // the dialog handles its own keys (Escape closes it)
    if (event.key === "j" || event.key === "k") {
      if (!rows().length) return;
      event.preventDefault();
      move(event.key === "j" ? 1 : -1);
    } else if (event.key === "Enter" && current && document.contains(current)) {
      if (event.target.closest && event.target.closest("a, button") && event.target !== current) return;
      event.preventDefault();
      window.location.assign(current.getAttribute("data-href"));
    } else if (event.key === "?") {
      event.preventDefault();
      dialog().showModal();
    } else if (event.key.length === 1 && !document.querySelector("#modal .modal")) {
      var button = pageKey(event.key);
      if (!button) return;
      event.preventDefault();
      button.focus();  // the modal gives the focus back here when it closes
      button.click();
    }
  });

  // A list swapped by htmx (filters, refresh) loses its focus: keep the same row if it is still there.
  document.addEventListener("htmx:afterSettle", function () {
    if (current && !document.contains(current)) {
      var again = current.id ? document.getElementById(current.id) : null;
      current = null;
      if (again) focusRow(again);
    }
  });
})();
