// The checkout page's only script, loaded from a file (the CSP allows no inline script):
// a merchant's "javascript:history.back()" way back becomes a button that goes back to the
// page before the checkout. Paying added the paid page to the history, and the form's entry
// behind it is ours too, so "back" means back past every entry of this origin: the
// Navigation API numbers them (index 0 is the first); without it, one step back.
// Without JavaScript the button stays hidden and a hint says to use the browser's Back.
document.querySelectorAll("[data-history-back]").forEach(function (button) {
  button.hidden = false;
  document.querySelectorAll("[data-history-hint]").forEach(function (hint) {
    hint.hidden = true;
  });
  button.addEventListener("click", function () {
    var entry = window.navigation && window.navigation.currentEntry;
    history.go(entry ? -(entry.index + 1) : -1);
  });
});
