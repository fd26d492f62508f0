// Lists that become stacked cards on a phone (table.table-cards, static/css/warmpath.css).
// A card shows each value beside its column's heading: the heading's words are copied
// here into the cell's data-label, which the stylesheet writes before the value. A cell
// that already has a data-label keeps it; a column whose heading is for screen readers
// only (an actions column) and the card's title (th scope="row", .card-title-cell) get none.

function visibleText(cell) {
  const copy = cell.cloneNode(true);
  copy.querySelectorAll(".visually-hidden, [aria-hidden='true']").forEach((hidden) => hidden.remove());
  return copy.textContent.replace(/\s+/g, " ").trim();
}

function labelTable(table) {
  const headingRow = table.tHead?.rows[table.tHead.rows.length - 1];
  if (!headingRow) return;
  // The heading of each column, counting the columns a heading spans.
  const headings = [];
  Array.from(headingRow.cells).forEach((heading) => {
    for (let i = 0; i < heading.colSpan; i++) headings.push(visibleText(heading));
  });
  Array.from(table.tBodies).forEach((body) => {
    Array.from(body.rows).forEach((row) => {
      let column = 0;
      Array.from(row.cells).forEach((cell) => {
        const heading = headings[column] ?? "";
        column += cell.colSpan;
        if (cell.hasAttribute("data-label") || cell.matches("th[scope='row'], .card-title-cell")) return;
        if (heading) cell.setAttribute("data-label", heading);
      });
    });
  });
}

function labelCards(root) {
  // A swap inside a table (one row replaced) labels that table again; a page or a part of
  // it, every table it holds.
  const inside = root.closest?.("table.table-cards");
  const tables = inside ? [inside] : root.querySelectorAll?.("table.table-cards") ?? [];
  tables.forEach(labelTable);
}

// The page as loaded, and every part htmx swaps in later (a row completed in place).
htmx.onLoad(labelCards);
