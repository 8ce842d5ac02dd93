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


  // After a refused send: the summary takes focus (a screen reader reads it, the page scrolls to it),
  // and each of its links puts the cursor in its field.
  function setUpSummary() {
    var summary = document.getElementById("error-summary");
    if (!summary) return;
    summary.focus();
    summary.scrollIntoView({block: "start"});
    summary.querySelectorAll("a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) return;
        event.preventDefault();
        var input = target.matches("input,select,textarea") ? target : target.querySelector("input,select,textarea");
        target.scrollIntoView({block: "center"});
        (input || target).focus();
      });
    });
  }

  // Rest days and public holidays, up front: the note follows the chosen state or province, and a row
  // whose every day is one of them gets a warning at once (the form still sends it).
  var WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

  function setUpTourDays(form) {
    var data = document.getElementById("tour-calendar");
    var note = document.getElementById("holiday-note");
    var region = form.querySelector("select[name=region]");
    if (!data || !region) return;
    var calendar = JSON.parse(data.textContent);
    function holidays() { return calendar.holidays[region.value] || []; }
    function showNote() {
      if (!note || !region.value) return;
      var list = holidays();
      note.textContent = list.length ?
        "Public holidays during the tour in " + region.value + ": " + list.map(function (h) { return h[1]; }).join("; ") + "." :
        "No public holiday falls in the tour in " + region.value + ".";
    }
    function checkRow(row) {
      var first = row.querySelector("input[name$=first_date]");
      var last = row.querySelector("input[name$=last_date]");
      var ticked = Array.prototype.map.call(row.querySelectorAll("input[type=checkbox]:checked"), function (c) { return c.value; });
      var old = row.querySelector(".row-warning");
      if (old) old.remove();
      if (!first || !last || !first.value || !last.value || !ticked.length) return;
      var closed = {};
      holidays().forEach(function (h) { closed[h[0]] = true; });
      var day = new Date(first.value + "T12:00:00Z"), end = new Date(last.value + "T12:00:00Z");
      if (end < day || (end - day) > 400 * 86400000) return;
      for (; day <= end; day.setUTCDate(day.getUTCDate() + 1)) {
        var code = WEEKDAYS[day.getUTCDay()];
        if (ticked.indexOf(code) >= 0 && calendar.off.indexOf(code) < 0 && !closed[day.toISOString().slice(0, 10)]) return;
      }
      var warning = document.createElement("p");
      warning.className = "row-warning";
      warning.setAttribute("role", "status");
      warning.textContent = "These days are all rest days or public holidays: the team cannot come then. Add other days.";
      row.appendChild(warning);
    }
    function checkAll() { form.querySelectorAll("fieldset.window-row").forEach(checkRow); }
    region.addEventListener("change", function () { showNote(); checkAll(); });
    form.addEventListener("change", function (event) {
      var row = event.target.closest && event.target.closest("fieldset.window-row");
      if (row) checkRow(row);
    });
    showNote();
    checkAll();
  }

  document.querySelectorAll("fieldset.windows").forEach(setUpRows);
  document.querySelectorAll("form.intake").forEach(setUpRegions);
  document.querySelectorAll("form.intake").forEach(setUpTourDays);
  setUpSummary();
})();
