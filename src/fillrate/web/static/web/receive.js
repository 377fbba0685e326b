// Receive screen: a scanned or typed SKU (or UPC) plus Enter adds one unit
// to that line's quantity; anything not on the form, or more than a line's
// outstanding quantity, is said inline.
(function () {
  const scan = document.getElementById("scan");
  const message = document.getElementById("scan-message");
  if (!scan || !message) return;
  const inputs = Array.from(document.querySelectorAll("#receive-lines input[data-sku]"));

  function lineFor(code) {
    const wanted = code.trim().toUpperCase();
    return inputs.find((input) => input.dataset.sku.toUpperCase() === wanted)
      || inputs.find((input) => input.dataset.upc && input.dataset.upc.toUpperCase() === wanted);
  }

  scan.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();  // Enter here scans; it never saves the receipt
    const code = scan.value.trim();
    if (!code) return;
    const input = lineFor(code);
    if (!input) {
      message.textContent = "“" + code + "” is not an outstanding line of this purchase order.";
      message.className = "scan-message error";
    } else {
      const now = (parseInt(input.value, 10) || 0) + 1;
      input.value = String(now);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      const outstanding = parseInt(input.dataset.outstanding, 10) || 0;
      if (now > outstanding) {
        message.textContent = "+1 " + input.dataset.sku + ": " + now + " receiving now, "
          + (now - outstanding) + " more than the " + outstanding + " outstanding"
          + " (tick “Allow over-receipt” to take them).";
        message.className = "scan-message warn";
      } else {
        message.textContent = "+1 " + input.dataset.sku + ": " + now + " receiving now.";
        message.className = "scan-message ok";
      }
    }
    scan.value = "";
  });
})();
