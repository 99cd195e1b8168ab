/* indicator-qc HTML report: client-side filter of the embedded rows by family, code and text. */
(function () {
  "use strict";
  var family = document.getElementById("filter-family");
  var code = document.getElementById("filter-code");
  var text = document.getElementById("filter-text");
  var shown = document.getElementById("filter-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#rows tbody tr"));

  function has(list, item) {
    return (" " + list + " ").indexOf(" " + item + " ") >= 0;
  }

  function apply() {
    var wantFamily = family.value, wantCode = code.value, needle = text.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row) {
      var ok = (!wantFamily || has(row.getAttribute("data-families"), wantFamily)) &&
        (!wantCode || has(row.getAttribute("data-codes"), wantCode)) &&
        (!needle || row.textContent.toLowerCase().indexOf(needle) >= 0);
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count.toLocaleString();
  }

  family.addEventListener("change", apply);
  code.addEventListener("change", apply);
  text.addEventListener("input", apply);
  apply();
})();
