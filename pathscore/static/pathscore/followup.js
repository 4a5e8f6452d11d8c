// Follow-up form behaviours: location from the browser, the typeahead's keyboard, and a
// form that submits once. Loaded as a file (the CSP forbids inline scripts); htmx does the
// searching and reloading of contact choices.
(function () {
  "use strict";

  // --- Location: filled into hidden inputs when the user allows it; never blocks saving.
  function setupLocation(box) {
    var latitude = box.querySelector("[name=latitude]");
    var longitude = box.querySelector("[name=longitude]");
    var accuracy = box.querySelector("[name=location_accuracy]");
    var status = box.querySelector("[data-geo-status]");
    var add = box.querySelector("[data-geolocate]");
    var clear = box.querySelector("[data-geo-clear]");
    if (!latitude || !longitude || !accuracy || !status) {
      return;
    }

    function say(key, meters) {
      var text = box.getAttribute("data-msg-" + key) || "";
      status.textContent = text.replace("{accuracy}", meters === undefined ? "" : meters);
    }

    function showRecorded() {
      say("recorded", Math.round(parseFloat(accuracy.value || "0")));
      if (add) { add.classList.add("d-none"); }
      if (clear) { clear.classList.remove("d-none"); }
    }

    function locate() {
      if (!("geolocation" in navigator)) {
        say("unavailable");
        return;
      }
      say("locating");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          accuracy.value = String(Math.round(position.coords.accuracy * 10) / 10);
          showRecorded();
        },
        function (error) {
          say(error && error.code === 1 ? "denied" : "unavailable");
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 120000 }
      );
    }

    if (latitude.value && longitude.value) {
      showRecorded();
    } else if (navigator.permissions && navigator.permissions.query) {
      // Ask the browser only if the user already allowed it: no prompt out of the blue.
      navigator.permissions.query({ name: "geolocation" }).then(function (result) {
        if (result.state === "granted") {
          locate();
        }
      }).catch(function () {});
    }
    if (add) {
      add.addEventListener("click", locate);
    }
    if (clear) {
      clear.addEventListener("click", function () {
        latitude.value = "";
        longitude.value = "";
        accuracy.value = "";
        say("none");
        clear.classList.add("d-none");
        if (add) { add.classList.remove("d-none"); }
      });
    }
  }

  function init() {
    var boxes = document.querySelectorAll("[data-geolocation]");
    for (var i = 0; i < boxes.length; i++) {
      setupLocation(boxes[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }

  // --- Typeahead: Enter searches (htmx listens to "input"), it never submits the form.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.matches && target.matches("[data-typeahead]")) {
      event.preventDefault();
    }
  });

  // --- One tap saves once: a second tap while the first is on its way does nothing.
  // (The server also saves a form's client_key only once.)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-submit-once]")) {
      return;
    }
    if (form.getAttribute("data-submitting")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "1");
    var buttons = form.querySelectorAll("[type=submit]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].classList.add("disabled");
      buttons[i].setAttribute("aria-disabled", "true");
    }
  });

  // Coming back with the browser's Back button shows the page as it was left: re-arm it.
  window.addEventListener("pageshow", function () {
    var forms = document.querySelectorAll("form[data-submitting]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].removeAttribute("data-submitting");
      var buttons = forms[i].querySelectorAll("[type=submit]");
      for (var j = 0; j < buttons.length; j++) {
        buttons[j].classList.remove("disabled");
        buttons[j].removeAttribute("aria-disabled");
      }
    }
  });
})();
