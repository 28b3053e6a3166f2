// autocodec explorer: a little progressive enhancement; every page works without it.
(function () {
  "use strict";
  var form = document.getElementById("go");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = form.elements.cid.value.trim().replace(/^\/?(ipfs|ipld)\//, "").replace(/^ipfs:\/\//, "");
      // where the form goes (the explorer's origin: a page on a content origin names the bare host)
      if (text) { window.location.href = form.action + text.split("/").map(encodeURIComponent).join("/"); }
    });
  }
  var toggle = document.getElementById("toggle-hex");
  var hex = document.getElementById("hex");
  if (toggle && hex) {
    toggle.addEventListener("click", function () {
      var hidden = hex.classList.toggle("hidden");
      toggle.textContent = hidden ? "show" : "hide";
      toggle.setAttribute("aria-expanded", hidden ? "false" : "true");
    });
  }
  // the CID heading selects itself on click, for copying
  var cid = document.getElementById("cid");
  if (cid && window.getSelection) {
    cid.addEventListener("click", function () {
      var range = document.createRange();
      range.selectNodeContents(cid);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    });
  }
}());
