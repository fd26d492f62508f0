// Contact pickers of the referral forms: Enter in the search box searches, it does not
// submit the form around it (the results come in through htmx).
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches("input[data-contact-search]")) {
    event.preventDefault();
  }
});
