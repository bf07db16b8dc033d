// The organizer's forum form, made quicker with JavaScript: question buttons act in the page
// instead of asking the server, the choices box shows only for choice questions, the new
// series title only when "New series" is picked, the lottery date only for lottery forums.
// Without this script every button still works: the server shows the form again, changed.
(function () {
  "use strict";
  var form = document.querySelector("[data-forum-form]");
  if (!form) return;
  var list = form.querySelector("[data-question-list]");
  var template = form.querySelector("[data-question-template]");
  var addButton = form.querySelector("[data-add-question]");
  var maxNote = form.querySelector("[data-max-note]");
  var status = form.querySelector("[data-question-status]");
  var max = parseInt(list.getAttribute("data-max"), 10) || 30;
  var action = form.getAttribute("action");

  function fill(text, n) { return (text || "").replace("{n}", String(n)); }

  function say(text) {
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  // Give every question the names and labels of its place (q-0-label, "Question 1", up:0, ...).
  function renumber() {
    var questions = list.querySelectorAll("[data-question]");
    questions.forEach(function (fieldset, i) {
      fieldset.id = "question-" + i;
      fieldset.querySelectorAll("[name], [id], [aria-describedby]").forEach(function (el) {
        ["name", "id", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(/q-\d+-/g, "q-" + i + "-"));
        });
      });
      var legend = fieldset.querySelector("legend");
      legend.textContent = fill(legend.getAttribute("data-template"), i + 1);
      fieldset.querySelectorAll("button[name=op]").forEach(function (button) {
        var verb = button.value.split(":")[0];
        button.value = verb + ":" + i;
        button.setAttribute("aria-label", fill(button.getAttribute("data-template"), i + 1));
        if (verb === "up") button.disabled = i === 0;
        if (verb === "down") button.disabled = i === questions.length - 1;
      });
    });
    var full = questions.length >= max;
    addButton.disabled = full;
    maxNote.hidden = !full;
  }

  function showChoices(fieldset) {
    var kind = fieldset.querySelector("[data-kind]").value;
    var wanted = kind === "choice" || kind === "multiple";
    fieldset.querySelector("[data-choices]").hidden = !wanted;
  }

  function labelInput(fieldset) { return fieldset.querySelector("input[type=text]"); }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=op]");
    if (!button || button.value === "save") return;
    event.preventDefault();
    var parts = button.value.split(":");
    var fieldset = button.closest("[data-question]");
    if (parts[0] === "add") {
      if (list.querySelectorAll("[data-question]").length >= max) return;
      var added = template.content.firstElementChild.cloneNode(true);
      list.appendChild(added);
      renumber();
      showChoices(added);
      labelInput(added).focus();
      say(fill(status.getAttribute("data-added"), list.children.length));
    } else if (parts[0] === "up" && fieldset.previousElementSibling) {
      list.insertBefore(fieldset, fieldset.previousElementSibling);
      renumber();
      button.disabled ? labelInput(fieldset).focus() : button.focus();
      say(fill(status.getAttribute("data-moved"), Array.prototype.indexOf.call(list.children, fieldset) + 1));
    } else if (parts[0] === "down" && fieldset.nextElementSibling) {
      list.insertBefore(fieldset.nextElementSibling, fieldset);
      renumber();
      button.disabled ? labelInput(fieldset).focus() : button.focus();
      say(fill(status.getAttribute("data-moved"), Array.prototype.indexOf.call(list.children, fieldset) + 1));
    } else if (parts[0] === "remove") {
      var next = fieldset.nextElementSibling || fieldset.previousElementSibling;
      fieldset.remove();
      renumber();
      (next ? labelInput(next) : addButton).focus();
      say(status.getAttribute("data-removed"));
    }
  });

  form.addEventListener("change", function (event) {
    if (event.target.matches("[data-kind]")) showChoices(event.target.closest("[data-question]"));
    if (event.target.matches("[data-series]")) showNewSeries();
    if (event.target.matches("[name=registration_mode]")) showLottery();
  });

  // The new series' title is sent only when "New series" is chosen.
  var series = form.querySelector("[data-series]");
  function showNewSeries() {
    var wanted = series.value === "new";
    form.querySelectorAll("[data-new-series]").forEach(function (el) {
      el.hidden = !wanted;
      el.querySelectorAll("input").forEach(function (input) { input.disabled = !wanted; });
    });
  }

  var mode = form.querySelector("[name=registration_mode]");
  function showLottery() {
    form.querySelectorAll("[data-lottery-only]").forEach(function (el) {
      el.hidden = mode.value !== "lottery" && !el.querySelector("input[value]:not([value=''])");
    });
  }

  list.querySelectorAll("[data-question]").forEach(showChoices);
  if (series) showNewSeries();
  if (mode) showLottery();
})();
