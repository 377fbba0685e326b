// The scan pick screen (web/floor/scan.html). A keyboard-wedge scanner types
// a code and Enter; a person taps the box and types. Either way Enter in a
// step's box checks it against the line on the screen and moves on:
// location -> product (SKU or UPC) -> quantity (the due quantity is filled
// in) -> tote, and Enter on the tote sends the pick. A wrong scan is said in
// red with the error sound and the box is selected for the next scan; the
// server checks the whole pick again when it is sent. Without this script
// the form is plain: each Enter sends what is filled and the server asks for
// the next step.
(function () {
  const sound = function (name) { if (window.floorSound) window.floorSound.play(name); };

  function same(a, b) { return a.trim().toUpperCase() === b.trim().toUpperCase(); }

  function say(form, text, tone) {
    const message = form.querySelector("[data-scan-message]");
    if (!message) return;
    message.textContent = text;
    message.className = "scan-message " + (tone === "error" ? "error" : "ok");
    message.hidden = !text;
  }

  // What is wrong with `input`'s value for its step, or "" when it is right.
  function problem(input) {
    const value = input.value.trim();
    const step = input.dataset.step;
    const label = input.dataset.label || step;
    if (!value) return "Scan or type the " + label + ".";
    if (step === "quantity") {
      const quantity = Number(value);
      const most = parseInt(input.dataset.max, 10);
      if (!/^\d+$/.test(value) || quantity < 1) return "The quantity is a whole number, at least 1.";
      if (most && quantity > most) return "Only " + most + " due here: pick at most " + most + ".";
      return "";
    }
    const expected = (input.dataset.expect || "").split("|").filter(Boolean);
    if (expected.length && !expected.some(function (code) { return same(code, value); })) {
      return "Wrong " + label + ": scanned “" + value + "”, this line wants "
        + (input.dataset.want || expected[0]) + ".";
    }
    return "";
  }

  function steps(form) { return Array.from(form.querySelectorAll("input[data-step]")); }

  function focusOn(input) {
    if (!input) return;
    input.focus();
    if (input.select) input.select();
  }

  function mark(input, wrong) {
    const label = input.closest("label");
    if (label) label.classList.toggle("invalid", wrong);
    input.setAttribute("aria-invalid", wrong ? "true" : "false");
  }

  function onEnter(form, input) {
    // The due quantity is filled in: a scanner that goes straight on to the
    // tote types the tote's code into the quantity box. Take it as the tote.
    const tote = form.querySelector("input[data-step=tote]");
    if (input.dataset.step === "quantity" && tote && /\D/.test(input.value.trim())) {
      tote.value = input.value.trim();
      input.value = input.dataset.default || "";
      onEnter(form, tote);
      return;
    }
    const wrong = problem(input);
    mark(input, Boolean(wrong));
    if (wrong) {
      say(form, wrong, "error");
      sound("error");
      focusOn(input);
      return;
    }
    const all = steps(form);
    const next = all.slice(all.indexOf(input) + 1)[0];
    if (next) {
      say(form, "", "ok");
      sound("ok");
      focusOn(next);
      return;
    }
    const open = all.find(function (other) { return problem(other); });
    if (open) {
      say(form, problem(open), "error");
      sound("error");
      mark(open, true);
      focusOn(open);
      return;
    }
    form.requestSubmit();
  }

  // `root` and what is in it (htmx:load fires on each element it swapped in).
  function within(root, selector) {
    const found = Array.from(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) found.unshift(root);
    return found;
  }

  function attach(root) {
    within(root, "form[data-scan-form]").forEach(function (form) {
      if (form.dataset.scanReady) return;
      form.dataset.scanReady = "1";
      form.addEventListener("keydown", function (event) {
        const input = event.target;
        if (event.key !== "Enter" || !input.matches || !input.matches("input[data-step]")) return;
        event.preventDefault();
        onEnter(form, input);
      });
      // The first box still to scan (the server may have kept some filled).
      const start = steps(form).find(function (input) {
        return input.value.trim() === "" || input.getAttribute("aria-invalid") === "true";
      });
      focusOn(start);
    });
  }

  // A tapped "Pick" button checks every step first, like Enter on the tote.
  // Caught on the way down (capture) so htmx never sends a pick known wrong.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches || !form.matches("form[data-scan-form]")) return;
    const open = steps(form).find(function (input) { return problem(input); });
    if (!open) return;
    event.preventDefault();
    event.stopPropagation();
    say(form, problem(open), "error");
    sound("error");
    mark(open, true);
    focusOn(open);
  }, true);

  // Refusals (an unknown tote: 404; 409, 422) come back as the screen with
  // the message: show them.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const status = event.detail.xhr.status;
    if ([400, 404, 409, 422].indexOf(status) >= 0 && event.detail.target
        && event.detail.target.closest("[data-scan-screen]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("DOMContentLoaded", function () { attach(document); });
  document.addEventListener("htmx:load", function (event) { attach(event.target); });
})();
