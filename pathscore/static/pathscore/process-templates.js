// The process template editor: adding and removing formset rows, showing the inputs that
// apply to the chosen due rule, deduction and field type, and choosing all projects to
// migrate. Loaded as a file (the CSP forbids inline scripts). Without it the editor still
// works: one blank row per part is always there and every input is shown.
(function () {
  "use strict";

  // --- Inputs shown only for some choices: data-show-when="field=value1|value2". The
  // control is looked up in the same formset row first, then in the whole form.
  function controlFor(element, field) {
    var scopes = [element.closest("[data-formset-row]"), element.closest("form")];
    for (var i = 0; i < scopes.length; i++) {
      var scope = scopes[i];
      if (!scope) { continue; }
      var control = scope.querySelector('[name="' + field + '"]') ||
        scope.querySelector('[name$="-' + field + '"]');
      if (control) { return control; }
    }
    return null;
  }

  function refresh(root) {
    var elements = (root || document).querySelectorAll("[data-show-when]");
    for (var i = 0; i < elements.length; i++) {
      var element = elements[i];
      var rule = element.getAttribute("data-show-when").split("=");
      var control = controlFor(element, rule[0]);
      if (!control) { continue; }
      var shown = rule[1].split("|").indexOf(control.value) !== -1;
      element.classList.toggle("d-none", !shown);
    }
  }

  // --- Formset rows: <button data-formset-add="prefix"> clones <template id="empty-prefix">.
  function addRow(prefix) {
    var template = document.getElementById("empty-" + prefix);
    var body = document.querySelector('[data-formset-body="' + prefix + '"]');
    var total = document.querySelector('[name="' + prefix + '-TOTAL_FORMS"]');
    var maximum = document.querySelector('[name="' + prefix + '-MAX_NUM_FORMS"]');
    if (!template || !body || !total) { return; }
    var index = parseInt(total.value, 10) || 0;
    if (maximum && index >= parseInt(maximum.value, 10)) { return; }
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    while (row && row.tagName !== "TR") { row = row.nextElementSibling; }
    if (!row) { return; }
    body.appendChild(row);
    total.value = String(index + 1);
    refresh(row);
    var first = row.querySelector("input[type=text], input[type=number], input:not([type]), select");
    if (first) { first.focus(); }
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest ? event.target.closest("[data-formset-add]") : null;
    if (add) {
      event.preventDefault();
      addRow(add.getAttribute("data-formset-add"));
    }
  });

  // A removed row is marked for deletion (its DELETE box) and hidden.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches('[data-formset-row] input[name$="-DELETE"]')) {
      var row = target.closest("[data-formset-row]");
      if (row && target.checked) { row.classList.add("d-none"); }
    }
    if (target.matches && target.matches("select")) { refresh(); }
    if (target.matches && target.matches("[data-check-all]")) {
      var name = target.getAttribute("data-check-all");
      var boxes = document.querySelectorAll('input[type=checkbox][name="' + name + '"]');
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = target.checked; }
    }
  });

  function init() {
    refresh();
    // Rows already marked for deletion (the form came back with an error) stay hidden.
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
