// The stack viewer (templates/dicom/_stack.html): one frame of a series at a time, moved through
// with the mouse wheel, the keyboard (arrows, Page Up/Down, Home, End), a vertical drag on touch
// screens and the slider; the window preset buttons swap every frame's rendering. The frames are
// de-identified images rendered on the server at each preset (no raw values reach the browser).
(function () {
  "use strict";

  function setUp(viewer) {
    var data = JSON.parse(viewer.getAttribute("data-stack"));
    var frames = data.frames;
    var total = frames.length;
    var preset = data.presets[0].key;
    var index = 0;
    var stage = viewer.querySelector(".stack-stage");
    var img = viewer.querySelector(".stack-frame");
    var slider = viewer.querySelector(".stack-slider");
    var counter = viewer.querySelector(".stack-counter");
    var buttons = viewer.querySelectorAll(".stack-preset");
    var alt = img.getAttribute("alt").replace(/ \(image \d+ of \d+\)$/, "");
    var cached = {};

    function preload(i) {
      if (i < 0 || i >= total) return;
      var url = frames[i][preset];
      if (!cached[url]) {
        cached[url] = new Image();
        cached[url].src = url;
      }
    }

    function show(i) {
      index = Math.max(0, Math.min(total - 1, i));
      img.src = frames[index][preset];
      img.alt = alt + " (image " + (index + 1) + " of " + total + ")";
      slider.value = String(index + 1);
      counter.textContent = index + 1 + " / " + total;
      viewer.setAttribute("data-frame", String(index + 1));
      preload(index + 1);
      preload(index - 1);
    }

    var page = Math.max(1, Math.round(total / 10));

    stage.addEventListener(
      "wheel",
      function (event) {
        if (!event.deltaY) return;
        event.preventDefault();
        show(index + (event.deltaY > 0 ? 1 : -1));
      },
      { passive: false }
    );

    stage.addEventListener("keydown", function (event) {
      var moves = {
        ArrowDown: index + 1,
        ArrowUp: index - 1,
        PageDown: index + page,
        PageUp: index - page,
        Home: 0,
        End: total - 1,
      };
      // Left and Right stay with the page's carousel of images (case-page.js).
      if (!(event.key in moves)) return;
      event.preventDefault();
      event.stopPropagation();
      show(moves[event.key]);
    });

    // Touch: dragging up or down by one step's height moves one frame (the whole stage height
    // covers the stack, but a step is never under 8 px so a short stack is not too sensitive).
    var startY = null;
    var startIndex = 0;
    stage.addEventListener(
      "touchstart",
      function (event) {
        if (event.touches.length !== 1) return;
        startY = event.touches[0].clientY;
        startIndex = index;
      },
      { passive: true }
    );
    stage.addEventListener(
      "touchmove",
      function (event) {
        if (startY === null || event.touches.length !== 1) return;
        event.preventDefault();
        var step = Math.max(8, stage.clientHeight / total);
        show(startIndex + Math.round((startY - event.touches[0].clientY) / step));
      },
      { passive: false }
    );
    stage.addEventListener("touchend", function () {
      startY = null;
    });

    slider.addEventListener("input", function () {
      show(parseInt(slider.value, 10) - 1);
    });

    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        preset = button.getAttribute("data-preset");
        Array.prototype.forEach.call(buttons, function (other) {
          other.setAttribute("aria-pressed", other === button ? "true" : "false");
        });
        viewer.setAttribute("data-preset", preset);
        cached = {};
        show(index);
      });
    });

    viewer.setAttribute("data-preset", preset);
    viewer.setAttribute("data-ready", "1");
    show(0);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".stack-viewer[data-stack]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
