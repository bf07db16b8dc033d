// The profile's organisation field: as the person types, the organisations the same search as
// GET /organizations?q= finds (kanji, kana, romaji) fill the field's list, and a line says whether
// the name is listed or will be proposed. Without this script the form still works: the server
// matches the typed name when it is saved, and the list holds the matches for the saved name.
(function () {
  "use strict";

  var box = document.querySelector("[data-picker]");
  if (!box || !window.fetch) return;
  var input = box.querySelector("input[list]");
  var list = document.getElementById(input.getAttribute("list"));
  var status = document.getElementById("organization-status");
  var timer = null;
  var asked = 0;

  function fold(text) {
    return (text || "").normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function show(found) {
    list.textContent = "";
    found.slice(0, 10).forEach(function (organization) {
      var option = document.createElement("option");
      option.value = organization.name;
      if (organization.prefecture) option.textContent = organization.prefecture;
      list.appendChild(option);
    });
    var typed = fold(input.value);
    if (!typed) status.textContent = "";
    else {
      var listed = found.some(function (o) {
        return [o.name].concat(o.aliases || []).some(function (name) { return fold(name) === typed; });
      });
      status.textContent = listed ? box.dataset.listed : box.dataset.new;
    }
  }

  function search() {
    var query = input.value.trim();
    var mine = ++asked;
    if (!query) { show([]); return; }
    fetch("/api/v1/organizations?q=" + encodeURIComponent(query.slice(0, 200)), {
      headers: {Accept: "application/json"},
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (found) { if (mine === asked) show(found); })
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
})();
