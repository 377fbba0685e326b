// Line-entry forms (new order, new purchase order): Enter never places the
// order. The form's first submit button is a disabled one (so browsers do not
// submit on Enter even without this script); here Enter moves to the next
// field, and from the last field of the last line it adds a line and moves to
// its SKU. Only the “Place order” button sends the form.
(function () {
  function fields(form) {
    return Array.from(form.querySelectorAll("input, select, textarea")).filter(function (el) {
      return el.type !== "hidden" && !el.hidden && !el.disabled && el.offsetParent !== null;
    });
  }
  document.addEventListener("keydown", function (event) {
    const form = event.target.form;
    if (event.key !== "Enter" || !form || !form.classList.contains("line-entry")) return;
    if (!["INPUT", "SELECT"].includes(event.target.tagName) || event.target.type === "checkbox") return;
    event.preventDefault();
    const list = fields(form);
    const here = list.indexOf(event.target);
    const lines = form.querySelectorAll(".order-line");
    const last = lines[lines.length - 1];
    const next = list[here + 1];
    if (last && last.contains(event.target) && (!next || !last.contains(next))) {
      const add = form.querySelector("[data-add-line]");
      if (add) {
        // other swaps (the shortfall preview) may settle first: wait for the new line
        form.addEventListener("htmx:afterSettle", function focusNew() {
          const rows = form.querySelectorAll(".order-line");
          if (rows.length <= lines.length) return;
          form.removeEventListener("htmx:afterSettle", focusNew);
          rows[rows.length - 1].querySelector("[name=sku]").focus();
        });
        add.click();
        return;
      }
    }
    if (next) next.focus();
  });
})();
