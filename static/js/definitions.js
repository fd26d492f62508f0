// The "?" next to a figure (reporting/templatetags/kpi_terms.py): a tap or a click opens
// or closes its definition; Escape, or a tap elsewhere, closes it. Hover (with a mouse)
// and keyboard focus show it through CSS alone (static/css/warmpath.css, .definition);
// a definition closed by hand stays closed until the pointer or the focus leaves it.
(function () {
  "use strict";
  function dismiss(button) {
    button.setAttribute("aria-expanded", "false");
    button.closest(".definition").setAttribute("data-dismissed", "");
  }
  function closeAll(except) {
    document.querySelectorAll(".definition-toggle[aria-expanded='true']").forEach(function (button) {
      if (button !== except) { button.setAttribute("aria-expanded", "false"); }
    });
  }
  function forget(event) {
    var wrapper = event.target.closest && event.target.closest(".definition");
    if (wrapper && !wrapper.contains(event.relatedTarget)) { wrapper.removeAttribute("data-dismissed"); }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".definition-toggle");
    if (!button) { closeAll(null); return; }
    event.preventDefault();
    closeAll(button);
    if (button.getAttribute("aria-expanded") === "true") {
      dismiss(button);
    } else {
      button.closest(".definition").removeAttribute("data-dismissed");
      button.setAttribute("aria-expanded", "true");
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll(".definition-toggle").forEach(function (button) {
      if (button.getAttribute("aria-expanded") === "true" || button === document.activeElement ||
          button.closest(".definition").matches(":hover")) { dismiss(button); }
    });
  });
  document.addEventListener("mouseout", forget);
  document.addEventListener("focusout", forget);
})();
