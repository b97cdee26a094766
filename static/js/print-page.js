// A button marked data-print-page prints the page (no inline onclick: a Content-Security-Policy can forbid it).
document.querySelectorAll("[data-print-page]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
