// Doudi: a "copy" button for a text on the page (the calendar feed's
// address). `data-copy` names the element whose text is copied; the button
// stays hidden without this script. The clipboard API needs a secure page;
// elsewhere (or if it refuses) the text is selected for the person to copy.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var status = document.getElementById(button.getAttribute("data-copy") + "-status") ||
      document.getElementById("feed-copy-status");
    button.hidden = false;
    function say(text) { if (status) status.textContent = text; }
    function select() {
      var range = document.createRange();
      range.selectNodeContents(source);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      say(button.getAttribute(copied ? "data-copied" : "data-failed"));
    }
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () {
          say(button.getAttribute("data-copied"));
        }, select);
      } else {
        select();
      }
    });
  });
})();
