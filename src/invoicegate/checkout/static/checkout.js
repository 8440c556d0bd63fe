// The checkout page's only script, loaded from a file (the CSP allows no inline script):
// a merchant's "javascript:history.back()" way back becomes a button that goes back.
document.querySelectorAll("[data-history-back]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    history.back();
  });
});
