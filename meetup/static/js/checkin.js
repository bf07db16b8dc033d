// Check-in desk: scan a ticket's QR code with the device camera where the browser can
// (BarcodeDetector). Without it the page stays a plain form, which USB and Bluetooth scanners
// fill by typing the code and pressing Enter.
(function () {
  "use strict";

  var form = document.getElementById("checkin-form");
  var input = document.getElementById("checkin-code");
  var button = document.getElementById("scan-button");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var REMEMBER = "meetup-checkin-camera"; // keep scanning across the page reload after each ticket

  if (!form || !input || !button || !video || !("BarcodeDetector" in window)) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;

  var detector = null;
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
    stop(false);
    input.value = value;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function tick() {
    if (busy || video.readyState < 2) return;
    busy = true;
    detector.detect(video).then(function (codes) {
      var hit = codes.find(function (code) { return code.rawValue; });
      if (hit) found(hit.rawValue.trim());
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
      .then(function () { timer = setInterval(tick, 300); })
      .catch(function () {
        stop(true);
        say(button.dataset.denied);
        input.focus();
      });
  }

  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") === -1) return;
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
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
  }).catch(function () { /* no camera scanning: the form still works */ });

  window.addEventListener("pagehide", function () { stop(false); });
})();
