// When an in-place update (htmx) fails, say so. htmx leaves the page as it was on an error
// answer or a lost connection, so "Mark done" or a search would otherwise seem to do
// nothing at all. The message goes where the page's own messages are, at the top of <main>.
(() => {
  const MESSAGES = {
    403: "Warmpath refused the change: your session may have expired. Reload the page (log in again if asked) and try again.",
    404: "That item is no longer there: it may have been changed or removed meanwhile. Reload the page to see where things stand.",
    409: "That change no longer applies: the item has moved on meanwhile. Reload the page to see where things stand.",
  };
  const GENERIC = "Something went wrong and the change was not saved. Reload the page and try again.";
  const OFFLINE = "Warmpath could not be reached, so nothing was saved. Check your connection and try again.";

  function show(text) {
    const main = document.getElementById("main");
    if (!main) {
      return;
    }
    let box = document.getElementById("htmx-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "htmx-error";
      box.className = "alert alert-danger alert-dismissible";
      box.setAttribute("role", "alert");
      const message = document.createElement("span");
      const close = document.createElement("button");
      close.type = "button";
      close.className = "btn-close";
      close.setAttribute("aria-label", "Close");
      close.addEventListener("click", () => box.remove());
      box.append(message, close);
      main.prepend(box);
    }
    box.firstElementChild.textContent = text;
    box.scrollIntoView({ block: "nearest" });
  }

  document.body.addEventListener("htmx:responseError", (event) => {
    show(MESSAGES[event.detail.xhr.status] || GENERIC);
  });
  document.body.addEventListener("htmx:sendError", () => show(OFFLINE));
})();
