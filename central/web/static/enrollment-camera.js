// Face enrollment with the browser's camera: getUserMedia → a frame drawn on a canvas →
// a JPEG posted to central with the page's CSRF token → the gate's answer shown at once.
// Without a camera (or without JavaScript) the file form on the same page does the same.
// An accepted photo also updates the record's template count in place (no reload).
(function () {
  "use strict";
  var box = document.getElementById("camera");
  if (!box) { return; }
  var video = document.getElementById("camera-view");
  var canvas = document.getElementById("camera-shot");
  var start = document.getElementById("camera-start");
  var take = document.getElementById("camera-take");
  var answer = document.getElementById("camera-answer");
  var form = document.getElementById("photo-form");
  var token = form.querySelector("input[name=csrf_token]").value;

  function say(text, state) {
    answer.textContent = text;
    answer.dataset.state = state || "";
  }

  start.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(box.dataset.msgNoCamera, "error");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false })
      .then(function (stream) {
        video.srcObject = stream;
        return video.play();
      })
      .then(function () {
        take.disabled = false;
        start.disabled = true;
        box.dataset.live = "1";
      })
      .catch(function () { say(box.dataset.msgNoCamera, "error"); });
  });

  take.addEventListener("click", function () {
    var width = video.videoWidth || 640, height = video.videoHeight || 480;
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(video, 0, 0, width, height);
    take.disabled = true;
    say(box.dataset.msgSending, "busy");
    canvas.toBlob(function (blob) {
      var body = new FormData();
      body.append("photos", blob, "camera.jpg");
      fetch(box.dataset.upload, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": token, "Accept": "application/json" }
      })
        .then(function (response) { return response.json(); })
        .then(function (result) {
          var text = result.message;
          if (result.photos && result.photos.length) { text = result.photos[0].message; }
          say(text, result.ok ? "accepted" : result.code);
          var count = document.getElementById("template-count");
          if (result.ok && count && result.templates_text) { count.textContent = result.templates_text; }
        })
        .catch(function () { say(box.dataset.msgFailed, "error"); })
        .then(function () { take.disabled = false; });
    }, "image/jpeg", 0.92);
  });
})();
