// Job page: poll the job's JSON once a second and update the progress without a reload.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var jobUrl = box.getAttribute("data-job-url");
  // The 202 answer to "Plan season" is this page at the form's address: make reload and back land here.
  if (window.history && window.location.pathname !== jobUrl) { window.history.replaceState(null, "", jobUrl); }
  var STEPS = { queued: "waiting for a worker", construct: "building a first plan", constructed: "first plan built",
                improve: "improving the plan", recombine: "combining the best weeks of several plans", done: "done" };
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function set(name, text) { var el = field(name); if (el) { el.textContent = text; } }
  function number(value, digits) {
    if (value === null || value === undefined) { return "\u2013"; }
    return Number(value).toLocaleString("en-US", { maximumFractionDigits: digits || 0 });
  }
  function show(info) {
    set("status", info.status);
    set("phase", STEPS[info.phase] || info.phase);
    var bar = field("percent");
    if (bar) { bar.value = info.percent; bar.textContent = info.percent + " %"; }
    set("served", number(info.served));
    set("of", info.requests ? " of " + number(info.requests) : "");
    set("audience", number(info.audience));
    set("drive_km", number(info.drive_km));
    set("elapsed_s", number(info.elapsed_s));
    set("time_left_s", number(info.time_left_s));
    set("note", info.note || "");
    set("error", info.error || "");
  }
  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (info) {
        show(info);
        if (info.finished) { window.location.assign(jobUrl); return; }  // the page then shows the result links
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
