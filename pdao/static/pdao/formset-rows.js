// Rows of a Django formset marked data-formset (products/_declaration_rows.html): "add" copies
// the formset's empty row from its <template>, "remove" ticks the row's delete box and hides
// the row, and a parameter row shows only the fields its type uses. Without JavaScript the
// rendered rows, their empty extras and the delete boxes still work.
(function () {
  function showFieldsFor(row) {
    var type = row.querySelector("select[name$='-type']");
    row.querySelectorAll("[data-for-types]").forEach(function (input) {
      var wrap = input.closest("[data-field]");
      var types = input.getAttribute("data-for-types").split(" ");
      wrap.hidden = !!type && types.indexOf(type.value) < 0;  // no type yet: none of them
    });
  }

  function enhance(row) {
    var box = row.querySelector("input[name$='-DELETE']");
    var button = row.querySelector("[data-row-remove]");
    if (box && button) {
      box.closest("[data-row-delete]").hidden = true;
      button.hidden = false;
      if (box.checked) { row.hidden = true; }
    }
    showFieldsFor(row);
  }

  document.querySelectorAll("[data-formset]").forEach(function (set) {
    var prefix = set.getAttribute("data-formset");
    var total = set.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var list = set.querySelector("[data-formset-rows]");
    var template = set.querySelector("template[data-formset-empty]");
    var add = set.querySelector("[data-formset-add]");
    list.querySelectorAll("[data-formset-row]").forEach(enhance);

    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
      var row = holder.querySelector("[data-formset-row]");
      row.querySelector("[data-row-number]").textContent = String(index + 1);
      list.appendChild(row);
      total.value = String(index + 1);
      enhance(row);
      row.querySelector("input:not([type=hidden]), select").focus();
    });

    set.addEventListener("change", function (event) {
      if (event.target.matches("select[name$='-type']")) {
        showFieldsFor(event.target.closest("[data-formset-row]"));
      }
    });

    set.addEventListener("click", function (event) {
      var button = event.target.closest("[data-row-remove]");
      if (!button) { return; }
      var row = button.closest("[data-formset-row]");
      row.querySelector("input[name$='-DELETE']").checked = true;
      row.hidden = true;
    });
  });
})();
