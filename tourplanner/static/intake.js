// Request form helpers: one click adds an availability row; the state list follows the country.
// Loaded as a file (no inline script), so it works under a strict Content-Security-Policy.
(function () {
  "use strict";

  function renumber(row, index) {
    row.dataset.index = String(index);
    row.querySelectorAll("[name],[id],[for],[aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(/windows-\d+-/g, "windows-" + index + "-"));
      });
    });
    var number = row.querySelector(".row-number");
    if (number) number.textContent = String(index + 1);
  }

  function blank(row) {
    row.querySelectorAll("ul.errors").forEach(function (el) { el.remove(); });
    row.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    row.querySelectorAll("input").forEach(function (input) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("autofocus");
      if (input.type === "checkbox") {
        input.checked = ["mon", "tue", "wed", "thu", "fri"].indexOf(input.value) >= 0;
      } else {
        input.value = "";
      }
    });
  }

  function setUpRows(fieldset) {
    var button = fieldset.querySelector("button.add-row");
    var holder = fieldset.querySelector(".window-rows");
    if (!button || !holder) return;
    var max = parseInt(fieldset.dataset.maxRows || "12", 10);
    button.addEventListener("click", function (event) {
      var rows = holder.querySelectorAll("fieldset.window-row");
      if (rows.length >= max) return; // the server says why
      event.preventDefault();
      var row = rows[rows.length - 1].cloneNode(true);
      renumber(row, rows.length);
      blank(row);
      holder.appendChild(row);
      if (rows.length + 1 >= max) button.hidden = true;
      var first = row.querySelector("input");
      if (first) first.focus();
    });
  }

  function setUpRegions(form) {
    var country = form.querySelector("select[name=country]");
    var region = form.querySelector("select[name=region]");
    if (!country || !region) return;
    function follow() {
      region.querySelectorAll("optgroup").forEach(function (group) {
        var other = group.dataset.country !== country.value;
        group.hidden = other;
        group.disabled = other;
      });
      var chosen = region.selectedOptions[0];
      if (chosen && chosen.parentElement.disabled) region.value = "";
      var label = form.querySelector("label[for=region]");
      if (label) label.textContent = country.value === "CA" ? "Province or territory" : "State";
    }
    country.addEventListener("change", follow);
    follow();
  }

  document.querySelectorAll("fieldset.windows").forEach(setUpRows);
  document.querySelectorAll("form.intake").forEach(setUpRegions);
})();
