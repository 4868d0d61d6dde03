// Redaction editor: outlines what the engine covered, lets the clinician draw extra boxes and a
// crop over the de-identified preview, and sends them in original-image pixels. The preview is
// scaled (and, after a crop, shows only the cropped area), so every coordinate is mapped through
// the current view: original = view origin + displayed pixels / scale. In "delete" mode a click
// removes the box under it (the engine's proposed boxes arrive as the clinician's own, so this is
// how a proposal is turned down).
"use strict";

(function () {
  var MIN_SIZE = 3;

  function makeBox(className, left, top, width, height) {
    var div = document.createElement("div");
    div.className = "region " + className;
    div.style.left = left + "px";
    div.style.top = top + "px";
    div.style.width = width + "px";
    div.style.height = height + "px";
    return div;
  }

  function setUp(container) {
    var data = JSON.parse(container.getAttribute("data-editor"));
    var img = container.querySelector("img");
    var figure = container.closest("figure");
    var form = figure ? figure.querySelector(".redact-form") : null;
    var view = data.crop; // the part of the original the preview shows
    var manual = (data.manual || []).slice();
    var crop = data.has_crop ? data.crop : null;
    var mode = "box";
    var overlay = document.createElement("div");
    overlay.className = "region-overlay";
    overlay.setAttribute("aria-hidden", "true");
    container.appendChild(overlay);

    function scale() { return img.clientWidth / view.w; }

    function toScreen(box) {
      var s = scale();
      return [(box.x - view.x) * s, (box.y - view.y) * s, box.w * s, box.h * s];
    }

    function render() {
      overlay.innerHTML = "";
      overlay.style.width = img.clientWidth + "px";
      overlay.style.height = img.clientHeight + "px";
      (data.faces || []).forEach(function (b) { overlay.appendChild(makeBox.apply(null, ["face"].concat(toScreen(b)))); });
      (data.texts || []).forEach(function (b) { overlay.appendChild(makeBox.apply(null, ["text"].concat(toScreen(b)))); });
      manual.forEach(function (b) { overlay.appendChild(makeBox.apply(null, ["manual"].concat(toScreen(b)))); });
      if (crop && crop !== data.crop) overlay.appendChild(makeBox.apply(null, ["crop"].concat(toScreen(crop))));
      if (form) {
        form.querySelector("input[name=regions]").value = JSON.stringify(manual);
        form.querySelector("input[name=crop]").value = crop ? JSON.stringify(crop) : "";
        var status = form.querySelector(".editor-status");
        if (status) {
          status.textContent = manual.length + " box(es) of yours" + (crop ? "; cropped" : "") +
            ". Press “Apply” to re-run de-identification.";
        }
      }
    }

    function toOriginal(left, top, width, height) {
      var s = scale();
      return {
        x: Math.max(0, Math.round(view.x + left / s)),
        y: Math.max(0, Math.round(view.y + top / s)),
        w: Math.max(1, Math.round(width / s)),
        h: Math.max(1, Math.round(height / s)),
      };
    }

    var start = null;
    var rubber = null;
    function point(event) {
      var rect = overlay.getBoundingClientRect();
      return {
        x: Math.min(Math.max(event.clientX - rect.left, 0), rect.width),
        y: Math.min(Math.max(event.clientY - rect.top, 0), rect.height),
      };
    }
    overlay.addEventListener("pointerdown", function (event) {
      if (!form) return;
      event.preventDefault();
      if (mode === "delete") {
        var at = point(event), s = scale();
        var ox = view.x + at.x / s, oy = view.y + at.y / s;
        for (var i = manual.length - 1; i >= 0; i--) {
          var b = manual[i];
          if (ox >= b.x && ox <= b.x + b.w && oy >= b.y && oy <= b.y + b.h) { manual.splice(i, 1); break; }
        }
        render();
        return;
      }
      start = point(event);
      rubber = makeBox("drawing " + mode, start.x, start.y, 0, 0);
      overlay.appendChild(rubber);
      if (overlay.setPointerCapture) overlay.setPointerCapture(event.pointerId);
    });
    overlay.addEventListener("pointermove", function (event) {
      if (!start) return;
      var p = point(event);
      rubber.style.left = Math.min(start.x, p.x) + "px";
      rubber.style.top = Math.min(start.y, p.y) + "px";
      rubber.style.width = Math.abs(p.x - start.x) + "px";
      rubber.style.height = Math.abs(p.y - start.y) + "px";
    });
    function finish(event) {
      if (!start) return;
      var p = point(event);
      var left = Math.min(start.x, p.x), top = Math.min(start.y, p.y);
      var width = Math.abs(p.x - start.x), height = Math.abs(p.y - start.y);
      start = null;
      if (width >= MIN_SIZE && height >= MIN_SIZE) {
        var box = toOriginal(left, top, width, height);
        if (mode === "crop") crop = box; else manual.push(box);
      }
      render();
    }
    overlay.addEventListener("pointerup", finish);
    overlay.addEventListener("pointercancel", function () { start = null; render(); });

    if (form) {
      form.querySelectorAll("[data-mode]").forEach(function (button) {
        button.addEventListener("click", function () {
          mode = button.getAttribute("data-mode");
          form.querySelectorAll("[data-mode]").forEach(function (other) {
            other.setAttribute("aria-pressed", other === button ? "true" : "false");
          });
        });
      });
      form.querySelectorAll("[data-action]").forEach(function (button) {
        button.addEventListener("click", function () {
          var action = button.getAttribute("data-action");
          if (action === "undo") manual.pop();
          if (action === "clear") manual = [];
          if (action === "reset-crop") crop = null;
          render();
        });
      });
    }
    if (img.complete) render(); else img.addEventListener("load", render);
    window.addEventListener("resize", render);
  }

  document.querySelectorAll(".redaction-editor[data-editor]").forEach(setUp);
})();
