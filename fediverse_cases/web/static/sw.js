// The site's service worker (served from /sw.js so its scope is the whole site): shows the Web
// Push notifications this instance sends. A push carries Mastodon's notification JSON, already
// decrypted by the browser: title, body, icon, notification_id, notification_type. Tapping it
// opens (or focuses) the notifications page. Nothing is cached here.
"use strict";

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { title: "New notification", body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "New notification", {
      body: data.body || "",
      icon: data.icon || "/static/favicon.svg",
      tag: data.notification_id ? "notification-" + data.notification_id : undefined,
      data: { url: "/notifications" }
    })
  );
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || "/notifications";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (new URL(windows[i].url).pathname === target && "focus" in windows[i]) return windows[i].focus();
      }
      return self.clients.openWindow(target);
    })
  );
});
