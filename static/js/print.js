// « Imprimer » and « Copier le lien » buttons: hidden without JavaScript (the browser's own print
// and address bar still work). Printing uses the print stylesheet: the content alone, addresses of
// links written out, the page's QR code. Copying says so in a live region.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  var status = document.getElementById("copy-status");
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        if (status) status.textContent = button.dataset.copied;
      });
    });
  });
})();
