// Document uploads: refuse a file that is over the limit as soon as it is chosen (the
// server refuses it too, but only after the browser has sent it), and show that a slow
// upload is on its way so nobody taps "Upload" twice.
(function () {
  "use strict";

  function formatSize(bytes) {
    if (bytes >= 1024 * 1024) {
      return (bytes / (1024 * 1024)).toFixed(1) + " MB";
    }
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function feedbackFor(input) {
    var feedback = input.parentNode.querySelector("[data-size-error]");
    if (!feedback) {
      feedback = document.createElement("div");
      feedback.className = "invalid-feedback d-block";
      feedback.setAttribute("data-size-error", "");
      feedback.setAttribute("data-testid", "error-" + input.name);
      input.insertAdjacentElement("afterend", feedback);
    }
    return feedback;
  }

  function checkSize(input) {
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var file = input.files && input.files[0];
    var existing = input.parentNode.querySelector("[data-size-error]");
    if (existing) {
      existing.remove();
    }
    input.classList.remove("is-invalid");
    if (file && limit && file.size > limit) {
      var message = (input.getAttribute("data-too-big") || "").replace("{size}", formatSize(file.size));
      feedbackFor(input).textContent = message;
      input.classList.add("is-invalid");
      input.value = "";
      return false;
    }
    return true;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-bytes]")) {
      checkSize(input);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-upload-form]")) {
      return;
    }
    var inputs = form.querySelectorAll("input[type=file][data-max-bytes]");
    for (var i = 0; i < inputs.length; i++) {
      if (!checkSize(inputs[i])) {
        event.preventDefault();
        return;
      }
    }
    var button = form.querySelector("button[type=submit][data-busy-label]");
    if (button) {
      // Disabled after this tick so the button's own value is still submitted.
      window.setTimeout(function () {
        button.setAttribute("data-idle-html", button.innerHTML);
        button.disabled = true;
        button.textContent = button.getAttribute("data-busy-label");
      }, 0);
    }
  });

  // Coming back from the next page (back button) must not leave the button disabled.
  window.addEventListener("pageshow", function () {
    var buttons = document.querySelectorAll("form[data-upload-form] button[data-busy-label]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = false;
      if (buttons[i].hasAttribute("data-idle-html")) {
        buttons[i].innerHTML = buttons[i].getAttribute("data-idle-html");
      }
    }
  });
})();
