// The report pages' buttons. Loaded as a file (the CSP forbids inline scripts).
// [data-print] prints the page (print.css lays it out); [data-copy-link] copies the
// address, which carries every filter, so the link shows the same report to a colleague.
(function () {
  "use strict";

  function copied(button) {
    var label = button.querySelector("span");
    if (!label) { return; }
    var before = label.textContent;
    label.textContent = button.getAttribute("data-copied") || before;
    window.setTimeout(function () { label.textContent = before; }, 2000);
  }

  function copy(button) {
    var text = window.location.href;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); });
      return;
    }
    // Plain http on an intranet has no clipboard API: select a hidden field instead.
    var field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.style.position = "absolute";
    field.style.left = "-9999px";
    document.body.appendChild(field);
    field.select();
    try { document.execCommand("copy"); copied(button); } catch (error) { /* nothing to do */ }
    document.body.removeChild(field);
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print], [data-copy-link]") : null;
    if (!target) { return; }
    if (target.hasAttribute("data-print")) { window.print(); }
    if (target.hasAttribute("data-copy-link")) { copy(target); }
  });
})();
