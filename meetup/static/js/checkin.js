// Check-in desk: scan a ticket's QR code with the device camera. The browser's own
// BarcodeDetector reads it where there is one; elsewhere (iPhone Safari, Firefox, desktop
// Chromium on Linux) the vendored jsQR reads frames drawn on a canvas, loaded only then.
// Without a camera the page stays a plain form, which USB and Bluetooth scanners fill by
// typing the code and pressing Enter.
(function () {
  "use strict";

  var form = document.getElementById("checkin-form");
  var input = document.getElementById("checkin-code");
  var button = document.getElementById("scan-button");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var REMEMBER = "meetup-checkin-camera"; // keep scanning across the page reload after each ticket
  var LAST = "meetup-checkin-last"; // the ticket just sent: still in front of the camera after the reload
  var QUIET_MS = 8000;
  var WIDTH = 640; // jsQR reads a frame of this width well, and fast enough on an old phone

  if (!form || !input || !button || !video) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;

  var read = null; // a function: video -> Promise of the text in a QR code, or null
  var stream = null;
  var timer = null;
  var busy = false;

  function say(text) {
    if (status) status.textContent = text || "";
  }

  function stop(forget) {
    if (timer) clearInterval(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    button.textContent = button.dataset.start;
    if (forget) sessionStorage.removeItem(REMEMBER);
  }

  function found(value) {
    var last = (sessionStorage.getItem(LAST) || "").split("\n");
    if (last[0] === value && Date.now() - Number(last[1] || 0) < QUIET_MS) return;
    sessionStorage.setItem(LAST, value + "\n" + Date.now());
    stop(false);
    input.value = value;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function tick() {
    if (busy || video.readyState < 2) return;
    busy = true;
    read(video).then(function (text) {
      if (text) found(text.trim());
    }).catch(function () { /* a frame that cannot be read: try the next one */ })
      .then(function () { busy = false; });
  }

  function start() {
    say("");
    return navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        button.textContent = button.dataset.stop;
        sessionStorage.setItem(REMEMBER, "on");
        return video.play();
      })
      .then(function () { timer = setInterval(tick, 250); })
      .catch(function () {
        stop(true);
        say(button.dataset.denied);
        input.focus();
      });
  }

  function ready(reader) {
    read = reader;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (stream) {
        stop(true);
        input.focus();
      } else {
        start();
      }
    });
    if (sessionStorage.getItem(REMEMBER) === "on") start();
  }

  function detectorReader() {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return function (source) {
      return detector.detect(source).then(function (codes) {
        var hit = codes.find(function (code) { return code.rawValue; });
        return hit ? hit.rawValue : null;
      });
    };
  }

  function canvasReader() {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return function (source) {
      var scale = Math.min(1, WIDTH / (source.videoWidth || WIDTH));
      canvas.width = Math.round((source.videoWidth || WIDTH) * scale);
      canvas.height = Math.round((source.videoHeight || WIDTH * 0.75) * scale);
      context.drawImage(source, 0, 0, canvas.width, canvas.height);
      var frame = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
      return Promise.resolve(code ? code.data : null);
    };
  }

  // The vendored decoder, as a file of this site (no inline script: the CSP allows 'self').
  function loadDecoder() {
    var url = form.dataset.decoder;
    if (!url) return;
    var script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.addEventListener("load", function () {
      if (typeof window.jsQR === "function") ready(canvasReader());
    });
    document.head.appendChild(script);
  }

  if ("BarcodeDetector" in window && window.BarcodeDetector.getSupportedFormats) {
    window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") === -1) loadDecoder();
      else ready(detectorReader());
    }).catch(loadDecoder);
  } else {
    loadDecoder();
  }

  window.addEventListener("pagehide", function () { stop(false); });
})();
