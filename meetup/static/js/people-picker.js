// The case form's people, made quicker with JavaScript: as the organizer types a name (kanji,
// kana or romaji), the directory's own search (GET /api/v1/coordinators?q=) lists whom it finds
// as checkboxes; ticking one moves it to the chosen list, unticking a chosen one takes it off.
// Enter in the search box searches instead of saving. Without this script the search button
// sends the form back with the matches listed, and nothing is saved until "Save".
(function () {
  "use strict";

  var box = document.querySelector("[data-people-picker]");
  if (!box || !window.fetch) return;
  var input = box.querySelector('input[name="find_person"]');
  var button = box.querySelector('button[name="find"]');
  var chosen = document.getElementById("people-chosen");
  var found = document.getElementById("people-found");
  var none = box.querySelector("[data-none-found]");
  var timer = null;
  var asked = 0;

  function picked() {
    return Array.prototype.map.call(chosen.querySelectorAll("input:checked"), function (c) { return c.value; });
  }

  function choice(person) {
    var item = document.createElement("li");
    var label = document.createElement("label");
    var check = document.createElement("input");
    check.type = "checkbox";
    check.name = "people";
    check.value = String(person.id);
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = person.name;
    label.append(check, " ", name);
    var where = [person.prefecture, person.organization].filter(Boolean).join("・");
    if (where) {
      var hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = where;
      label.append(" ", hint);
    }
    item.appendChild(label);
    return item;
  }

  function show(people) {
    var taken = picked();
    found.textContent = "";
    people.filter(function (p) { return taken.indexOf(String(p.id)) === -1; }).forEach(function (p) {
      found.appendChild(choice(p));
    });
    none.hidden = !(input.value.trim() && !found.children.length);
  }

  function search() {
    var query = input.value.trim();
    var mine = ++asked;
    if (!query) { show([]); return; }
    fetch("/api/v1/coordinators?limit=20&q=" + encodeURIComponent(query.slice(0, 100)), {
      headers: {Accept: "application/json"},
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (people) { if (mine === asked) show(people); })
      .catch(function () {});
  }

  // A ticked person moves up to the chosen list; an unticked chosen one stays until saved (so a
  // slip can be undone), the form sends only what is ticked.
  found.addEventListener("change", function (event) {
    var item = event.target.closest("li");
    if (event.target.checked && item) chosen.appendChild(item);
  });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      clearTimeout(timer);
      search();
    }
  });
  button.addEventListener("click", function (event) {
    event.preventDefault();
    search();
  });
})();
