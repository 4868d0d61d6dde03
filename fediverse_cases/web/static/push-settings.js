// "Notify me on this device" on the settings page: registers the site's service worker, asks the
// browser's PushManager for a subscription with this instance's VAPID key (the page's
// <meta name="vapid-public-key">), and registers it with the server (POST /settings/push, the
// session's CSRF token in X-CSRF-Token); unticking unsubscribes in the browser and on the server.
// Browsers without service workers or Push see the toggle disabled, with the reason.
"use strict";

(function () {
  var section = document.getElementById("push-settings");
  var toggle = document.getElementById("push-toggle");
  var status = document.getElementById("push-status");
  var meta = document.querySelector('meta[name="vapid-public-key"]');
  if (!section || !toggle || !status || !meta) return;
  var url = section.getAttribute("data-subscribe-url");
  var worker = section.getAttribute("data-service-worker");
  var csrf = section.getAttribute("data-csrf-token");

  function say(text) { status.textContent = text; }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function send(method, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) throw new Error(answer.error || "the server refused the subscription");
        return answer;
      });
    });
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.fetch) {
    say("This browser cannot receive notifications from web sites.");
    return;
  }

  var ready = navigator.serviceWorker.register(worker, { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  });

  ready.then(function (registration) {
    return registration.pushManager.getSubscription();
  }).then(function (existing) {
    toggle.checked = !!existing;
    toggle.disabled = false;
    say(existing ? "This device is notified." : "This device is not notified.");
  }).catch(function (error) {
    say("Notifications are not available here: " + error.message);
  });

  toggle.addEventListener("change", function () {
    toggle.disabled = true;
    var work;
    if (toggle.checked) {
      say("Asking the browser…");
      work = ready.then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(meta.getAttribute("content"))
        });
      }).then(function (subscription) {
        return send("POST", subscription.toJSON());
      }).then(function () {
        say("This device is notified.");
      });
    } else {
      work = ready.then(function (registration) {
        return registration.pushManager.getSubscription();
      }).then(function (subscription) {
        if (!subscription) return null;
        var endpoint = subscription.endpoint;
        return subscription.unsubscribe().then(function () { return send("DELETE", { endpoint: endpoint }); });
      }).then(function () {
        say("This device is not notified.");
      });
    }
    work.catch(function (error) {
      toggle.checked = !toggle.checked;
      say("Could not change notifications: " + error.message);
    }).then(function () {
      toggle.disabled = false;
    });
  });
})();
