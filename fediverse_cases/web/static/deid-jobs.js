// De-identification progress on the compose page: while an image is waiting for or inside a
// de-identification job, ask the server about the jobs every second and show what it says; when a
// job settles (done, refused or handed over for a decision), reload so the editor or the reason
// appears. Without JavaScript the page shows the state it was rendered with.
"use strict";

(function () {
  var list = document.querySelector(".deid-jobs[data-jobs-url]");
  if (!list || !window.fetch) return;
  var url = list.getAttribute("data-jobs-url");

  function shown() {
    var states = {};
    list.querySelectorAll("[data-job-id]").forEach(function (el) {
      states[el.getAttribute("data-job-id")] = el.getAttribute("data-job-state");
    });
    return states;
  }

  function poll() {
    var before = shown();
    var waiting = Object.keys(before).some(function (id) { return before[id] === "pending"; });
    if (!waiting) return;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { window.setTimeout(poll, 2000); return; }
        var now = {};
        body.jobs.forEach(function (job) { now[String(job.id)] = job; });
        var settled = Object.keys(before).some(function (id) {
          return before[id] === "pending" && (!now[id] || now[id].state !== "pending");
        });
        if (settled) { window.location.reload(); return; }
        body.jobs.forEach(function (job) {
          var label = list.querySelector('[data-job-id="' + job.id + '"] .job-label');
          if (label) label.textContent = job.label;
        });
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }

  window.setTimeout(poll, 500);
})();
