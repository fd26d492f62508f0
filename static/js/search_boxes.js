// Search-as-you-type boxes (input[data-search-box]): htmx fetches the few matches into the
// <select> beside the box (contact, company and relationship pickers).

// Enter in the box searches; it does not submit the form around it.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches("input[data-search-box]")) {
    event.preventDefault();
  }
});

// A box that already holds words when htmx takes over the page searches at once: the
// words were typed while the page was still loading, or the browser put them back on
// "Back". htmx only listens from then on, so the picker would otherwise stay empty until
// the next key.
htmx.onLoad((root) => {
  root.querySelectorAll("input[data-search-box]").forEach((box) => {
    if (box.value.trim()) {
      htmx.trigger(box, "search");
    }
  });
});
