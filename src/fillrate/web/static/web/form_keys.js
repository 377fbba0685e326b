// One-time form keys (fillrate/web/form_keys.py). The key is put into its
// box here, after the page is parsed, so the browser keeps it with the rest
// of the form: when Back fetches the form page again, the browser puts back
// what the form held — the typed quantities and the key they were first sent
// with — and saving again replays the first save instead of making another.
(function () {
  function fill(root) {
    root.querySelectorAll("input[data-form-key]").forEach(function (input) {
      if (!input.value) input.value = input.dataset.formKey;
    });
  }
  fill(document);
  document.addEventListener("htmx:load", function (event) { fill(event.target); });
})();
