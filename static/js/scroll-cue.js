// A table that must scroll sideways says so: every [data-scroll-cue] box whose .table-responsive is
// wider inside than out gets the class is-scrollable, which shows its "Scroll sideways" hint (the
// edge shadows in clinic.css need no script). Checked on load, on resize and after htmx swaps.
(function () {
  function update(box) {
    const scroller = box.querySelector(".table-responsive");
    box.classList.toggle("is-scrollable", !!scroller && scroller.scrollWidth > scroller.clientWidth + 1);
  }
  function all() {
    document.querySelectorAll("[data-scroll-cue]").forEach(update);
  }
  const observer = "ResizeObserver" in window ? new ResizeObserver(all) : null;
  document.addEventListener("DOMContentLoaded", function () {
    all();
    if (observer) observer.observe(document.body);
    else window.addEventListener("resize", all);
  });
  document.addEventListener("htmx:afterSettle", all);
})();
