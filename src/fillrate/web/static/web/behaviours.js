// Small behaviours the pages ask for with data- attributes, so that no page
// needs inline script (the Content-Security-Policy allows only these files):
//   data-open-dialog="ID"   a click opens <dialog id=ID> as a modal
//   data-close-dialog       a click closes the dialog it is in
//   <dialog data-open>      opens as a modal when the page loads
//   <form data-confirm="…"> asks before it is sent
//   data-remove-line        removes its .order-line and tells the form (or,
//                           data-remove-line=".po-line", the one named)
//   data-pick-sku="SKU"     puts SKU in its line's SKU field, then moves to
//                           the quantity
//   data-copy="ID"          copies the field ID's text to the clipboard and
//                           says "Copied" on the button
// Listeners sit on the document, so content htmx swaps in works too.
(function () {
  document.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.openDialog);
      if (dialog) {
        event.preventDefault();
        dialog.showModal();
      }
      return;
    }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    const remover = event.target.closest("[data-remove-line]");
    if (remover) {
      const form = remover.form;
      const named = remover.dataset.removeLine;
      remover.closest(named || ".order-line").remove();
      if (form && !named) htmx.trigger(form, "input");
      return;
    }
    const copier = event.target.closest("[data-copy]");
    if (copier) {
      const field = document.getElementById(copier.dataset.copy);
      if (!field) return;
      field.select();
      const copied = function () { copier.textContent = "Copied"; };
      const fallback = function () { document.execCommand("copy"); copied(); };
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(copied, fallback);
      else fallback();
      return;
    }
    const pick = event.target.closest("[data-pick-sku]");
    if (pick) {
      const line = pick.closest(".order-line");
      const sku = line.querySelector("[name=sku]");
      sku.value = pick.dataset.pickSku;
      htmx.trigger(sku, "input");
      const quantity = line.querySelector("[name=quantity]");
      if (quantity) quantity.focus();
    }
  });
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopPropagation();  // (nor does htmx send it)
    }
  }, true);
  function openMarked() {
    document.querySelectorAll("dialog[data-open]").forEach(function (dialog) {
      if (!dialog.open) dialog.showModal();
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", openMarked);
  } else {
    openMarked();
  }
})();
