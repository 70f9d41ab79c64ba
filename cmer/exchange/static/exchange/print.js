// Print button of the transmission register (no inline script under the CSP).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("cmer-print");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
});
