// Redaction editor: outlines what the engine covered, lets the clinician draw extra boxes and a
// crop over the de-identified preview, and sends them in original-image pixels. The preview is
// scaled (and, after a crop, shows only the cropped area), so every coordinate is mapped through
// the current view: original = view origin + displayed pixels / scale. In "delete" mode a click
// removes the box under it (the engine's proposed boxes arrive as the clinician's own, so this is
// how a proposal is turned down). In "adjust" mode a drag moves one of the clinician's boxes, or
// resizes it from its bottom-right corner. Two fingers pinch-zoom the preview (the zoom buttons do
// the same with a mouse); every mode works with touch, pen and mouse through pointer events.
"use strict";

(function () {
  var MIN_SIZE = 3;
  var HANDLE = 18; // screen pixels around a box's bottom-right corner that resize it
  var MAX_ZOOM = 4;

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
    var zoom = 1;
    var fitWidth = 0; // the preview's width at zoom 1
    var overlay = document.createElement("div");
    overlay.className = "region-overlay";
    overlay.setAttribute("aria-hidden", "true");
    container.appendChild(overlay);

    function scale() { return img.clientWidth / view.w; }

    function toScreen(box) {
      var s = scale();
      return [(box.x - view.x) * s, (box.y - view.y) * s, box.w * s, box.h * s];
    }

    function applyZoom() {
      if (!fitWidth) fitWidth = img.clientWidth;
      container.classList.toggle("zoomed", zoom > 1);
      if (zoom > 1) {
        img.style.maxWidth = "none";
        img.style.width = Math.round(fitWidth * zoom) + "px";
      } else {
        img.style.maxWidth = "";
        img.style.width = "";
      }
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
    var grabbed = null; // adjust mode: {index, resize, from: point, box: original copy}
    var pointers = {}; // active pointers by id, for the two-finger pinch
    var pinch = null; // {distance, zoom}

    function pointerCount() { return Object.keys(pointers).length; }
    function distance() {
      var ids = Object.keys(pointers);
      var a = pointers[ids[0]], b = pointers[ids[1]];
      return Math.max(1, Math.hypot(a.x - b.x, a.y - b.y));
    }
    function boxAt(at) {
      var s = scale(), ox = view.x + at.x / s, oy = view.y + at.y / s;
      for (var i = manual.length - 1; i >= 0; i--) {
        var b = manual[i];
        var corner = Math.abs(at.x - (b.x + b.w - view.x) * s) <= HANDLE && Math.abs(at.y - (b.y + b.h - view.y) * s) <= HANDLE;
        if (corner || (ox >= b.x && ox <= b.x + b.w && oy >= b.y && oy <= b.y + b.h)) return { index: i, resize: corner };
      }
      return null;
    }
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
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      if (pointerCount() === 2) { // a second finger: pinch-zoom, whatever the mode
        if (rubber) rubber.remove();
        start = null; grabbed = null;
        pinch = { distance: distance(), zoom: zoom };
        return;
      }
      if (pointerCount() > 2) return;
      try { overlay.setPointerCapture(event.pointerId); } catch (error) { /* an ended pointer: nothing to hold */ }
      if (mode === "adjust") {
        var at0 = point(event), hit = boxAt(at0);
        if (hit) grabbed = { index: hit.index, resize: hit.resize, from: at0, box: Object.assign({}, manual[hit.index]) };
        return;
      }
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
    });
    overlay.addEventListener("pointermove", function (event) {
      if (pointers[event.pointerId]) pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      if (pinch && pointerCount() >= 2) {
        zoom = Math.min(MAX_ZOOM, Math.max(1, pinch.zoom * distance() / pinch.distance));
        applyZoom();
        render();
        return;
      }
      if (grabbed) {
        var at = point(event), s = scale();
        var dx = Math.round((at.x - grabbed.from.x) / s), dy = Math.round((at.y - grabbed.from.y) / s);
        var b = grabbed.box, moved = manual[grabbed.index];
        if (grabbed.resize) {
          moved.w = Math.max(MIN_SIZE, b.w + dx);
          moved.h = Math.max(MIN_SIZE, b.h + dy);
        } else {
          moved.x = Math.max(0, b.x + dx);
          moved.y = Math.max(0, b.y + dy);
        }
        render();
        return;
      }
      if (!start) return;
      var p = point(event);
      rubber.style.left = Math.min(start.x, p.x) + "px";
      rubber.style.top = Math.min(start.y, p.y) + "px";
      rubber.style.width = Math.abs(p.x - start.x) + "px";
      rubber.style.height = Math.abs(p.y - start.y) + "px";
    });
    function finish(event) {
      delete pointers[event.pointerId];
      if (pinch) { if (pointerCount() < 2) pinch = null; return; }
      if (grabbed) { grabbed = null; render(); return; }
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
    overlay.addEventListener("pointercancel", function (event) {
      delete pointers[event.pointerId];
      start = null; grabbed = null; pinch = null;
      render();
    });

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
          if (action === "zoom-in") zoom = Math.min(MAX_ZOOM, zoom * 1.5);
          if (action === "zoom-out") zoom = 1;
          applyZoom();
          render();
        });
      });
    }
    if (img.complete) render(); else img.addEventListener("load", render);
    window.addEventListener("resize", render);
  }

  document.querySelectorAll(".redaction-editor[data-editor]").forEach(setUp);
})();
