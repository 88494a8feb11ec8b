/* sitegate worker Today page: renew the check-in QR code before its signed token expires.
   The image URL is fetched again (the server signs a fresh token each time) every
   data-renew-after seconds; a failed fetch keeps trying on the next tick. No inline script. */
(function () {
  "use strict";
  var img = document.getElementById("checkin-qr");
  if (!img) { return; }
  var seconds = parseInt(img.getAttribute("data-renew-after"), 10);
  if (!(seconds > 0)) { return; }
  var base = img.getAttribute("src").split("&n=")[0];
  var count = 0;
  function renew() {
    count += 1;
    var next = new Image();
    next.onload = function () {
      img.src = next.src;
      img.setAttribute("data-renewals", String(count));
    };
    next.src = base + "&n=" + count;
  }
  window.setInterval(renew, seconds * 1000);
}());
