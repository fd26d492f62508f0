// The "?" next to a figure (reporting/templatetags/kpi_terms.py): a tap or a click opens
// or closes its definition, Escape or a tap elsewhere closes it. Hover and keyboard focus
// show it through CSS alone (static/css/warmpath.css, .definition).
(function () {
  "use strict";
  function close(except) {
    document.querySelectorAll(".definition-toggle[aria-expanded='true']").forEach(function (button) {
      if (button !== except) { button.setAttribute("aria-expanded", "false"); }
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".definition-toggle");
    if (!button) { close(null); return; }
    event.preventDefault();
    var open = button.getAttribute("aria-expanded") === "true";
    close(button);
    button.setAttribute("aria-expanded", open ? "false" : "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { close(null); }
  });
})();
