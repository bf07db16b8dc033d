// Behaviour every page shares, without inline handlers (the Content-Security-Policy forbids them):
// data-confirm="question" on a form or a submit button asks before sending;
// data-autosubmit on a field sends its form when the field changes.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-confirm], input[data-confirm]");
    if (button && !button.disabled && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!field.matches("[data-autosubmit]") || !field.form) return;
    if (field.form.requestSubmit) field.form.requestSubmit();
    else field.form.submit();
  });
})();
