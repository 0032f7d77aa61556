// « Imprimer » and « Copier le lien » buttons: invisible without JavaScript (the browser's own
// print and address bar still work), their room kept so that nothing moves when they appear.
// Printing uses the print stylesheet: the content alone, addresses of links written out, the
// page's QR code. Copying says so in a live region.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.classList.add("ready");
    button.addEventListener("click", function () { window.print(); });
  });
  var status = document.getElementById("copy-status");
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.classList.add("ready");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        if (status) status.textContent = button.dataset.copied;
      });
    });
  });
})();
