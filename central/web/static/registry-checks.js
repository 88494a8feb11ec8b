// Live checks of the registry forms as the clerk types: the resident ID number (GB 11643
// check digit, the birth date inside it) and the payroll card (Luhn). Only a help: the server
// checks everything again and answers per field. No inline script (CSP): loaded as a file.
(function () {
  "use strict";
  var messages = document.getElementById("check-messages");
  if (!messages) { return; }
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";

  function residentIdProblem(value) {
    var v = value.replace(/\s+/g, "").toUpperCase();
    if (v.length !== 18) { return "length"; }
    if (!/^[0-9]{17}[0-9X]$/.test(v)) { return "format"; }
    var sum = 0;
    for (var i = 0; i < 17; i++) { sum += parseInt(v.charAt(i), 10) * WEIGHTS[i]; }
    if (CHECK.charAt(sum % 11) !== v.charAt(17)) { return "checksum"; }
    var y = parseInt(v.substr(6, 4), 10), m = parseInt(v.substr(10, 2), 10), d = parseInt(v.substr(12, 2), 10);
    var born = new Date(Date.UTC(y, m - 1, d));
    if (born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d) {
      return "birth_date";
    }
    if (born.getTime() > Date.now()) { return "future_birth"; }
    return null;
  }

  function cardProblem(value) {
    var v = value.replace(/\s+/g, "");
    if (!/^[0-9]{12,19}$/.test(v)) { return "card_digits"; }
    var sum = 0, double = false;
    for (var i = v.length - 1; i >= 0; i--) {
      var n = parseInt(v.charAt(i), 10);
      if (double) { n *= 2; if (n > 9) { n -= 9; } }
      sum += n;
      double = !double;
    }
    return sum % 10 === 0 ? null : "card_checksum";
  }

  function live(input) {
    var id = "live-" + input.name;
    var note = document.getElementById(id);
    if (!note) {
      note = document.createElement("small");
      note.id = id;
      note.className = "live-check";
      note.setAttribute("aria-live", "polite");
      input.parentNode.appendChild(note);
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", (described ? described + " " : "") + id);
    }
    return note;
  }

  function check(input) {
    var value = input.value;
    var note = live(input);
    if (!value) { note.textContent = ""; note.className = "live-check"; return; }
    var problem = input.dataset.check === "card" ? cardProblem(value) : residentIdProblem(value);
    note.textContent = problem ? messages.dataset[problem] : messages.dataset.ok;
    note.className = "live-check " + (problem ? "bad" : "good");
  }

  var inputs = document.querySelectorAll("input[data-check]");
  Array.prototype.forEach.call(inputs, function (input) {
    input.addEventListener("input", function () { check(input); });
    input.addEventListener("blur", function () { check(input); });
  });
})();
