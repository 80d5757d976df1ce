// Sorting and filtering for the report's tables. Reading works without it: the tables are
// complete in the markup, and the filter form stays hidden until this runs.
(function () {
  'use strict';
  function sortable(table) {
    var body = table.tBodies[0];
    if (!body) return;
    table.querySelectorAll('thead th[data-sort]').forEach(function (th) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort';
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener('click', function () {
        var col = th.cellIndex;
        var numeric = th.getAttribute('data-sort') === 'num';
        var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        table.querySelectorAll('thead th').forEach(function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        var key = function (row) {
          var cell = row.cells[col];
          var v = cell ? (cell.getAttribute('data-v') || cell.textContent) : '';
          return numeric ? parseFloat(v) || 0 : v.toLowerCase();
        };
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          return (x < y ? -1 : x > y ? 1 : 0) * dir;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  document.querySelectorAll('table.sortable').forEach(sortable);

  var form = document.getElementById('filters');
  var table = document.getElementById('bucket-table');
  if (!form || !table || !table.tBodies[0]) return;
  form.hidden = false;
  var shown = document.getElementById('shown');
  function apply() {
    var want = {};
    form.querySelectorAll('[data-filter]').forEach(function (el) {
      want[el.getAttribute('data-filter')] = el.value.trim().toLowerCase();
    });
    var rows = table.tBodies[0].rows, n = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = Object.keys(want).every(function (k) {
        var v = want[k];
        if (!v) return true;
        var have = (r.getAttribute('data-' + k) || '').toLowerCase();
        return k === 'module' ? have.indexOf(v) !== -1 : have === v;
      });
      r.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = n + ' of ' + rows.length + ' buckets shown';
  }
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  apply();
})();
