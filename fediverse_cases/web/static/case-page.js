// Case images: paint BlurHash placeholders into their canvases while the image loads, and
// reveal graphic images on request. Loaded as a static file (CSP: no inline scripts).
"use strict";
(function () {
  const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

  function decode83(text) {
    let value = 0;
    for (const ch of text) {
      const digit = DIGITS.indexOf(ch);
      if (digit < 0) throw new Error("bad blurhash");
      value = value * 83 + digit;
    }
    return value;
  }
  function toLinear(v) {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  }
  function toSrgb(v) {
    const c = Math.max(0, Math.min(1, v));
    return Math.round(c <= 0.0031308 ? c * 12.92 * 255 : (1.055 * Math.pow(c, 1 / 2.4) - 0.055) * 255);
  }
  function signPow(v, e) {
    return Math.sign(v) * Math.pow(Math.abs(v), e);
  }

  // The BlurHash reference algorithm (https://blurha.sh), decoding to RGBA pixels.
  function decodeBlurhash(hash, width, height) {
    const size = decode83(hash[0]);
    const nx = (size % 9) + 1;
    const ny = Math.floor(size / 9) + 1;
    if (hash.length !== 4 + 2 * nx * ny) throw new Error("bad blurhash length");
    const maxValue = (decode83(hash[1]) + 1) / 166;
    const colors = [];
    const dc = decode83(hash.substring(2, 6));
    colors.push([toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]);
    for (let i = 1; i < nx * ny; i++) {
      const v = decode83(hash.substring(4 + i * 2, 6 + i * 2));
      colors.push([
        signPow((Math.floor(v / (19 * 19)) - 9) / 9, 2) * maxValue,
        signPow(((Math.floor(v / 19) % 19) - 9) / 9, 2) * maxValue,
        signPow(((v % 19) - 9) / 9, 2) * maxValue,
      ]);
    }
    const pixels = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let r = 0, g = 0, b = 0;
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++) {
            const basis = Math.cos((Math.PI * x * i) / width) * Math.cos((Math.PI * y * j) / height);
            const color = colors[i + j * nx];
            r += color[0] * basis;
            g += color[1] * basis;
            b += color[2] * basis;
          }
        }
        const at = 4 * (x + y * width);
        pixels[at] = toSrgb(r);
        pixels[at + 1] = toSrgb(g);
        pixels[at + 2] = toSrgb(b);
        pixels[at + 3] = 255;
      }
    }
    return pixels;
  }

  function paint(canvas) {
    try {
      const pixels = decodeBlurhash(canvas.dataset.blurhash, canvas.width, canvas.height);
      const context = canvas.getContext("2d");
      context.putImageData(new ImageData(pixels, canvas.width, canvas.height), 0, 0);
      canvas.classList.add("painted");
    } catch (error) {
      canvas.remove(); // a malformed hash from a peer just means no placeholder
    }
  }

  function init() {
    document.querySelectorAll("canvas.blurhash[data-blurhash]").forEach(paint);
    document.querySelectorAll(".case-image img").forEach(function (img) {
      const done = function () { img.classList.add("loaded"); };
      if (img.complete && img.naturalWidth) done(); else img.addEventListener("load", done);
    });
    document.querySelectorAll("figure[data-graphic] button.reveal").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        const figure = button.closest("figure");
        figure.classList.add("revealed");
        button.remove();
      });
    });
  }

  // Several images: prev/next buttons, arrow keys and swiping (CSS scroll snapping) move one image.
  function initCarousel(strip) {
    const status = document.getElementById("carousel-status");
    const figures = strip.querySelectorAll(".case-image");
    const current = function () { return Math.round(strip.scrollLeft / Math.max(1, strip.clientWidth)); };
    const go = function (index) {
      const target = Math.max(0, Math.min(figures.length - 1, index));
      strip.scrollTo({ left: target * strip.clientWidth, behavior: "smooth" });
    };
    strip.addEventListener("scroll", function () {
      if (status) status.textContent = (current() + 1) + " / " + figures.length;
    });
    strip.addEventListener("keydown", function (event) {
      if (event.key === "ArrowRight") { event.preventDefault(); go(current() + 1); }
      if (event.key === "ArrowLeft") { event.preventDefault(); go(current() - 1); }
    });
    document.querySelectorAll("[data-carousel]").forEach(function (button) {
      button.addEventListener("click", function () {
        go(current() + (button.dataset.carousel === "next" ? 1 : -1));
      });
    });
  }

  // Tapping an image (once a graphic one is revealed) opens it full size in a dialog.
  function initViewer(dialog) {
    const stage = dialog.querySelector(".viewer-stage");
    const full = stage.querySelector("img");
    document.querySelectorAll(".case-image img[data-full]").forEach(function (img) {
      img.addEventListener("click", function () {
        const figure = img.closest("figure");
        if (figure.dataset.graphic && !figure.classList.contains("revealed")) return;
        full.src = img.dataset.full;
        full.alt = img.alt;
        stage.classList.remove("zoomed");
        dialog.showModal();
      });
    });
    stage.addEventListener("dblclick", function () { stage.classList.toggle("zoomed"); });
    dialog.querySelector("[data-viewer=close]").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { full.removeAttribute("src"); });
  }

  function initPage() {
    init();
    const strip = document.querySelector(".case-images.carousel");
    if (strip) initCarousel(strip);
    const dialog = document.getElementById("image-viewer");
    if (dialog) initViewer(dialog);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initPage);
  else initPage();
})();
