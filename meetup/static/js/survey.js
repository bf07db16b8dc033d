// The survey's people list, made quicker with JavaScript: a filter box finds people by name,
// kana or romaji as you type. Without this script every person is listed and can be picked.
(function () {
  "use strict";
  function hiragana(text) {
    return text.normalize("NFKC").toLowerCase().replace(/[\u30a1-\u30f6]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0x60);
    });
  }
  document.querySelectorAll("[data-people-filter]").forEach(function (label) {
    var input = label.querySelector("input");
    var list = document.getElementById(input.getAttribute("data-filter-for"));
    var none = list.parentNode.querySelector("[data-none-found]");
    label.hidden = false;
    input.addEventListener("input", function () {
      var words = hiragana(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      list.querySelectorAll("li[data-search]").forEach(function (item) {
        var text = item.getAttribute("data-search");
        var checked = item.querySelector("input").checked;
        var match = checked || words.every(function (word) { return text.indexOf(word) !== -1; });
        item.hidden = !match;
        if (match) shown += 1;
      });
      none.hidden = shown > 0;
    });
  });
})();
