// The scorecard editor: adding indicator rows, hiding removed ones and showing only the
// rule parameters that apply to each row's rule. Loaded as a file (the CSP forbids inline
// scripts); without it every input is shown and existing rows can still be edited.
(function () {
  "use strict";

  function refresh(root) {
    var elements = (root || document).querySelectorAll("[data-show-when]");
    for (var i = 0; i < elements.length; i++) {
      var element = elements[i];
      var rule = element.getAttribute("data-show-when").split("=");
      var row = element.closest("[data-formset-row]");
      var control = row && row.querySelector('[name$="-' + rule[0] + '"]');
      if (!control) { continue; }
      element.classList.toggle("d-none", rule[1].split("|").indexOf(control.value) === -1);
    }
  }

  function addRow(prefix) {
    var template = document.getElementById("empty-" + prefix);
    var body = document.querySelector('[data-formset-body="' + prefix + '"]');
    var total = document.querySelector('[name="' + prefix + '-TOTAL_FORMS"]');
    if (!template || !body || !total) { return; }
    var index = parseInt(total.value, 10) || 0;
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector("[data-formset-row]");
    if (!row) { return; }
    body.appendChild(row);
    total.value = String(index + 1);
    refresh(row);
    var first = row.querySelector("select, input");
    if (first) { first.focus(); }
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest ? event.target.closest("[data-formset-add]") : null;
    if (add) {
      event.preventDefault();
      addRow(add.getAttribute("data-formset-add"));
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches('[data-formset-row] input[name$="-DELETE"]')) {
      var row = target.closest("[data-formset-row]");
      if (row && target.checked) { row.classList.add("d-none"); }
    }
    if (target.matches && target.matches("select")) { refresh(); }
  });

  function init() {
    refresh();
    var deleted = document.querySelectorAll('[data-formset-row] input[name$="-DELETE"]:checked');
    for (var i = 0; i < deleted.length; i++) {
      deleted[i].closest("[data-formset-row]").classList.add("d-none");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
