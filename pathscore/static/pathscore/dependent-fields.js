// Form fields that matter only for one choice of another field carry
// data-show-if="other_field=value"; their block (.mb-3) is hidden while the other field has
// another value. Without JavaScript every field simply stays visible.
(function () {
  "use strict";

  function sync(field) {
    var rule = field.getAttribute("data-show-if").split("=");
    var control = field.form && field.form.elements.namedItem(rule[0]);
    var block = field.closest(".mb-3");
    if (control && block) {
      block.hidden = control.value !== rule[1];
    }
  }

  var fields = document.querySelectorAll("[data-show-if]");
  fields.forEach(function (field) {
    sync(field);
    var control = field.form && field.form.elements.namedItem(field.getAttribute("data-show-if").split("=")[0]);
    if (control) {
      control.addEventListener("change", function () {
        sync(field);
      });
    }
  });
})();
