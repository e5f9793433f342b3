// Start with the pillar menu folded on phone-width screens; it unfolds on a tap.
document.addEventListener("DOMContentLoaded", function () {
  var menu = document.querySelector("details.menu");
  if (menu && window.matchMedia("(max-width: 760px)").matches) { menu.removeAttribute("open"); }
});

// A select marked data-autosubmit submits its form when changed (no inline handlers: the
// Content-Security-Policy allows none).
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});
