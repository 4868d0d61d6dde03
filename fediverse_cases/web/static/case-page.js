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

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
