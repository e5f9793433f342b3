// Start with the pillar menu folded on phone-width screens; it unfolds on a tap.
document.addEventListener("DOMContentLoaded", function () {
  var menu = document.querySelector("details.menu");
  if (menu && window.matchMedia("(max-width: 760px)").matches) { menu.removeAttribute("open"); }
});
