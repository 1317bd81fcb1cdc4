/* The weekly timesheet grid: spreadsheet-like keys on top of plain forms.
 * Tab moves between cells (the browser's own order) and Enter saves (each cell is a
 * form that htmx posts on change or submit). Here: ArrowUp/ArrowDown move to the same
 * day in the row above/below, and a focused cell selects its text so typing replaces it.
 * No inline scripts: this file is loaded by the page. */
(function () {
  "use strict";

  function cellInputs(input) {
    var table = input.closest("table");
    var td = input.closest("td");
    if (!table || !td) { return null; }
    var column = Array.prototype.indexOf.call(td.parentElement.children, td);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var row = rows.indexOf(td.parentElement);
    return { rows: rows, row: row, column: column };
  }

  function moveVertically(input, step) {
    var where = cellInputs(input);
    if (!where) { return; }
    for (var r = where.row + step; r >= 0 && r < where.rows.length; r += step) {
      var cell = where.rows[r].children[where.column];
      var target = cell && cell.querySelector("input.ts-input");
      if (target) { target.focus(); return; }
    }
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("ts-input")) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      moveVertically(input, event.key === "ArrowDown" ? 1 : -1);
    }
  });

  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input.classList && input.classList.contains("ts-input")) { input.select(); }
  });
})();
