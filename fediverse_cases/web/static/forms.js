// Small helpers every form page gets (a static file: the CSP allows no inline scripts).
// - A live character counter under each textarea with a maxlength.
// - Confirmation before destructive actions: a submit button with data-confirm asks first.
// - A camera input that uploads the photo as soon as it is taken.
(function () {
  "use strict";

  function addCounter(field) {
    var limit = parseInt(field.getAttribute("maxlength"), 10);
    if (!limit || field.dataset.counted) return;
    field.dataset.counted = "1";
    var counter = document.createElement("small");
    counter.className = "char-count";
    counter.id = (field.id || field.name || "field") + "-count";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    var describedBy = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", describedBy ? describedBy + " " + counter.id : counter.id);
    function update() {
      var left = limit - field.value.length;
      counter.textContent = field.value.length + " / " + limit + " characters";
      counter.classList.toggle("over", left < 0 || left < limit * 0.05);
    }
    field.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("textarea[maxlength]").forEach(addCounter);

  // A file input marked data-submit-on-pick (the phone camera) sends its form as soon as a file
  // is picked; the form's other file input is then not required.
  document.querySelectorAll("input[type=file][data-submit-on-pick]").forEach(function (input) {
    input.addEventListener("change", function () {
      if (!input.files.length) return;
      input.form.querySelectorAll("input[type=file][required]").forEach(function (other) {
        other.required = false;
      });
      if (input.form.requestSubmit) input.form.requestSubmit(); else input.form.submit();
    });
  });

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
