// Small behaviours every page may use, written as data- attributes so that templates need no inline
// script, event handler or style attribute (the Content-Security-Policy forbids all three):
//   data-autosubmit                     a field that submits its form when changed (filters);
//   data-css-vars="--left: 10%; ..."    CSS custom properties for computed positions, set through the
//                                       CSSOM (allowed by the policy, unlike a style="" attribute);
//   data-fill='{"id_chair": "3"}'       a button that fills form fields by id when clicked;
//   data-htmx-error="message"           an htmx element whose failed request shows the message, as
//                                       an alert in its hx-target;
//   data-select-on-focus                a read-only box whose text is selected when focused (a link to
//                                       copy by hand).
(function () {
  function applyCssVars(root) {
    root.querySelectorAll("[data-css-vars]").forEach((el) => {
      el.dataset.cssVars.split(";").forEach((decl) => {
        const at = decl.indexOf(":");
        const name = decl.slice(0, at).trim();
        if (at > 0 && name.startsWith("--")) el.style.setProperty(name, decl.slice(at + 1).trim());
      });
    });
  }
  applyCssVars(document);
  document.addEventListener("focusin", (event) => {
    const box = event.target.closest("[data-select-on-focus]");
    if (box && box.select) box.select();
  });
  document.addEventListener("htmx:load", (event) => applyCssVars(event.target));
  document.addEventListener("change", (event) => {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-fill]");
    if (!button) return;
    Object.entries(JSON.parse(button.dataset.fill)).forEach(([id, value]) => {
      const field = document.getElementById(id);
      if (field) field.value = value;
    });
  });
  document.addEventListener("htmx:responseError", (event) => {
    const source = event.detail.elt.closest("[data-htmx-error]");
    if (!source || !event.detail.target) return;
    const alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.textContent = source.dataset.htmxError;
    event.detail.target.replaceChildren(alert);
  });
})();
