// Upload with a progress bar: sends the form with XMLHttpRequest so upload progress can be shown,
// then follows the server's redirect. Without JavaScript the form posts normally.
"use strict";

(function () {
  function setStatus(form, text, isError) {
    var status = form.querySelector(".upload-status");
    if (status) {
      status.textContent = text;
      status.classList.toggle("error", !!isError);
    }
  }

  function send(form) {
    var progress = form.querySelector(".upload-progress");
    var button = form.querySelector("button[type=submit]");
    var token = form.querySelector("input[name=csrf_token]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    if (token) xhr.setRequestHeader("X-CSRF-Token", token.value);
    if (progress) { progress.hidden = false; progress.value = 0; }
    if (button) button.disabled = true;
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.round((event.loaded / event.total) * 100);
      if (progress) progress.value = percent;
      setStatus(form, "Uploading… " + percent + "%");
    });
    xhr.upload.addEventListener("load", function () {
      if (progress) progress.value = 100;
      setStatus(form, "Uploaded. Queuing de-identification…");
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status >= 200 && xhr.status < 300 && body && body.redirect) {
        window.location.assign(body.redirect);
        return;
      }
      if (button) button.disabled = false;
      setStatus(form, (body && body.error) || ("The upload failed (HTTP " + xhr.status + ")."), true);
    });
    xhr.addEventListener("error", function () {
      if (button) button.disabled = false;
      setStatus(form, "The upload failed: the connection was interrupted.", true);
    });
    xhr.send(new FormData(form));
  }

  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      send(form);
    });
  });
})();
