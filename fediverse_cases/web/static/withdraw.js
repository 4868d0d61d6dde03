// The QR code on the consent form opens /withdraw#code=XXXX-XXXX-XXXX-XXXX: the code travels in
// the fragment (never sent to the server or its logs); copy it into the form, then drop it from
// the address bar and the history.
(function () {
  var match = /[#&]code=([A-Za-z0-9-]{1,40})/.exec(window.location.hash);
  var field = document.getElementById("f-code");
  if (!match || !field) return;
  field.value = match[1];
  history.replaceState(null, "", window.location.pathname);
  var next = document.getElementById("f-check");
  if (next) next.focus();
})();
