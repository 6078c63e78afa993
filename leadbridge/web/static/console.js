// The console's little behaviours, kept out of the pages (the CSP allows no inline script).
// Every page works without it; this only adds comfort.
document.addEventListener("click", function (event) {
  // <input type="checkbox" data-select-all="name">: tick or untick every checkbox `name`.
  var all = event.target.closest("[data-select-all]");
  if (all) {
    var name = all.getAttribute("data-select-all");
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  }
  // <button data-confirm="Delete 3 prospects?">: ask first.
  var ask = event.target.closest("[data-confirm]");
  if (ask && !window.confirm(ask.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
// <button data-copy="#snippet">: copy the text of that element.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.textContent || source.value || "");
    button.textContent = "Copied";
  }
});
