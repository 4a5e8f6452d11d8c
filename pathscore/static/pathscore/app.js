// Pathscore's small behaviours. Loaded as a file so the Content Security Policy can forbid
// inline scripts; no eval, so htmx runs with allowEval off and no hx-on attributes.
(function () {
  "use strict";

  // <select data-autosubmit> submits its form on change (the language switch).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
    }
  });

  // <button data-confirm="..."> asks before submitting.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // htmx requests carry the CSRF token from the cookie.
  document.addEventListener("htmx:configRequest", function (event) {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) {
      event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
    }
  });
})();
