// Forms that undo work ask first: `<form data-confirm="Cancel PR-000001?">`.
// (A static file, not an inline handler: the pages' Content-Security-Policy
// allows scripts from the site only.) Without JavaScript the form just sends.
(function () {
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const question = form.dataset && form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
})();
