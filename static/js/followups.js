// Copy buttons: a follow-up's draft ("Copy the message", the edited text, for a call or a
// handwritten note) and a referral's drafted ask ("Copy the ask"). A button with
// data-copy-target="<selector>" copies the value of that field, or the text of that
// element; its label says "Copied" for a moment.
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
  const isField = field.matches("input, textarea");
  try {
    await navigator.clipboard.writeText(isField ? field.value : field.innerText);
    button.textContent = button.dataset.copiedLabel || "Copied";
  } catch (error) {
    // No clipboard access (an insecure origin, a refused permission): select the text
    // so Ctrl+C / Cmd+C copies it.
    if (isField) {
      field.focus();
      field.select();
    } else {
      window.getSelection().selectAllChildren(field);
    }
    button.textContent = "Press Ctrl+C to copy";
  }
  setTimeout(() => {
    button.textContent = label;
  }, 2000);
});
