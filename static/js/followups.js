// Follow-up drafts: "Copy the message" puts the (edited) text on the clipboard, for a
// call or a handwritten note. A button with data-copy-target="<selector>" copies the
// value of that field; its label says "Copied" for a moment.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) {
    return;
  }
  const field = document.querySelector(button.dataset.copyTarget);
  if (!field) {
    return;
  }
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = button.dataset.copiedLabel || "Copied";
  } catch (error) {
    // No clipboard access (an insecure origin, a refused permission): select the text
    // so Ctrl+C / Cmd+C copies it.
    field.focus();
    field.select();
    button.textContent = "Press Ctrl+C to copy";
  }
  setTimeout(() => {
    button.textContent = label;
  }, 2000);
});
