// Copy buttons: <button data-copy="#input-id">. Uses the Clipboard API where the page may (HTTPS or
// localhost); elsewhere it selects the text so that Ctrl+C / long-press copies it, and says so.
(function () {
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    const status = button.closest(".card-body, body").querySelector("[data-copy-status]");
    const say = (text) => { if (status) status.textContent = text; };
    const selectIt = () => {
      source.focus();
      source.select();
      source.setSelectionRange(0, source.value.length);
      say("Selected: press Ctrl+C (or long-press and Copy) to copy the link.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(() => say("Link copied."), selectIt);
    } else {
      selectIt();
    }
  });
})();
