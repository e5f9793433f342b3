// Start with the pillar menu folded on phone-width screens; it unfolds on a tap. A window
// widened past phone width opens it again (its summary, the only way to open it, is hidden
// there).
document.addEventListener("DOMContentLoaded", function () {
  var menu = document.querySelector("details.menu");
  var phone = window.matchMedia("(max-width: 760px)");
  if (!menu) { return; }
  if (phone.matches) { menu.removeAttribute("open"); }
  phone.addEventListener("change", function () {
    if (phone.matches) { menu.removeAttribute("open"); } else { menu.setAttribute("open", ""); }
  });
});

// A select marked data-autosubmit submits its form when changed (no inline handlers: the
// Content-Security-Policy allows none).
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});

// A form marked data-once holds its submit buttons once sent: no second submit while the first
// is on its way (long work then runs in the task worker, and its page says when it is done).
// Disabled a moment later, so the button that was pressed still sends its name and value.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches || !form.matches("form[data-once]")) { return; }
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    });
  }, 0);
});
