// Record pages (project, customer, contact) show their sections as Bootstrap tabs.
// The server opens the tab named by ?tab=…; this keeps the address in step with the tab
// shown, so reloading or sharing the link returns to it, and also honours #documents-style
// links (#<section key>) from other pages.
(function () {
  "use strict";

  function showTab(key) {
    var link = document.querySelector('[data-tab-key="' + key + '"]');
    if (link && window.bootstrap) {
      window.bootstrap.Tab.getOrCreateInstance(link).show();
      return true;
    }
    return false;
  }

  document.addEventListener("shown.bs.tab", function (event) {
    var key = event.target.getAttribute("data-tab-key");
    if (!key || !window.history || !window.history.replaceState) {
      return;
    }
    var url = new URL(window.location.href);
    url.searchParams.set("tab", key);
    url.hash = "";
    window.history.replaceState(window.history.state, "", url.toString());
    // On phones the tab bar scrolls sideways: keep the chosen tab in view.
    event.target.scrollIntoView({ block: "nearest", inline: "nearest" });
  });

  function fromHash() {
    var key = window.location.hash.replace(/^#/, "");
    if (key && /^[\w-]+$/.test(key)) {
      showTab(key);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fromHash);
  } else {
    fromHash();
  }
  window.addEventListener("hashchange", fromHash);
})();
