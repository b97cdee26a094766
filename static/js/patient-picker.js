// The patient picker (patients/picker.py, docs/patient-picker.md). Without this script the picker is a
// search box with a Search button (a GET of the page) and a short select of the matches. This script
// makes it an ARIA combobox ("list autocomplete", manual selection):
//   - typing asks patients:picker (through htmx) for at most 10 matches, shown as a listbox under the box;
//   - Down/Up move through them, Enter picks, Escape closes the list (or clears the box), the mouse too;
//   - picking puts the patient's name in the box, their date of birth and NHS number under it, their id
//     in a hidden field (which replaces the select, same name and id), and fetches the fields that
//     depend on the patient (data-refresh-url, swapped in for data-refresh-target);
//   - changing the text after a pick empties the hidden field, so a stale patient is never booked.
(function () {
  const DELAY_MS = 200;
  const MIN_CHARS = 2;

  function enhance(root) {
    if (root.dataset.pickerReady) return;
    root.dataset.pickerReady = "true";
    const input = root.querySelector("[data-picker-input]");
    const list = root.querySelector("[role=listbox]");
    const status = root.querySelector("[data-picker-status]");
    const select = root.querySelector("[data-picker-value]");
    const chosen = root.querySelector("[data-picker-chosen]");
    const chosenText = root.querySelector("[data-picker-chosen-text]");
    if (!input || !list || !status || !select || !chosen || !chosenText) return;

    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = select.name;
    hidden.id = select.id;
    hidden.value = select.value;
    // The server puts the chosen patient's name in the box and their details under it.
    let chosenLabel = select.value ? input.value : "";
    const describedBy = input.getAttribute("aria-describedby") || "";
    root.querySelectorAll("[data-picker-fallback]").forEach((el) => el.remove());
    root.appendChild(hidden);
    if (hidden.value) showChosen(chosenText.textContent.trim());

    // The box's text is not sent with its form; it only drives the search.
    input.removeAttribute("name");
    input.removeAttribute("form");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("hx-sync", "this:replace"); // a newer search cancels an older one
    let timer = null;
    let active = -1;

    const options = () => Array.from(list.querySelectorAll("[role=option]:not([aria-disabled=true])"));

    function setActive(index) {
      const items = options();
      items.forEach((item, i) => {
        item.classList.toggle("active", i === index);
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index >= 0 && index < items.length ? index : -1;
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", items[active].id);
        items[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open(show) {
      list.hidden = !show;
      input.setAttribute("aria-expanded", show ? "true" : "false");
      if (!show) setActive(-1);
    }

    function refresh() {
      const target = root.dataset.refreshTarget && document.querySelector(root.dataset.refreshTarget);
      if (!target || !root.dataset.refreshUrl) return;
      htmx.ajax("GET", root.dataset.refreshUrl, { target, swap: "outerHTML", values: { patient: hidden.value } });
    }

    function showChosen(detail) {
      chosenText.textContent = detail;
      chosen.hidden = !detail;
      const ids = detail ? `${chosen.id} ${describedBy}` : describedBy;
      if (ids.trim()) input.setAttribute("aria-describedby", ids.trim());
    }

    function setValue(value, label, detail) {
      const changed = hidden.value !== value;
      hidden.value = value;
      chosenLabel = label;
      showChosen(detail);
      if (changed) {
        hidden.dispatchEvent(new Event("change", { bubbles: true }));
        refresh();
      }
    }

    function choose(item) {
      setValue(item.dataset.value, item.dataset.name, item.dataset.detail);
      input.value = item.dataset.name;
      open(false);
      status.textContent = `${item.dataset.name}, ${item.dataset.detail}, chosen.`;
    }

    function search() {
      const text = input.value.trim();
      if (text.length < MIN_CHARS) {
        list.replaceChildren();
        open(false);
        status.textContent = text ? `Type at least ${MIN_CHARS} characters.` : "";
        return;
      }
      htmx.ajax("GET", root.dataset.resultsUrl, { source: input, target: list, swap: "innerHTML", values: { q: text } });
    }

    list.addEventListener("htmx:afterSwap", () => {
      list.querySelectorAll("[role=option]").forEach((item, i) => {
        item.id = `${list.id}-${i}`;
      });
      const found = options().length;
      const more = list.querySelector("[data-picker-note]") && found > 0;
      open(document.activeElement === input && list.children.length > 0);
      if (!found) status.textContent = "No patient matches.";
      else status.textContent = `${found}${more ? " or more" : ""} patient${found === 1 ? "" : "s"} found: use the arrow keys to choose.`;
    });

    input.addEventListener("input", () => {
      if (hidden.value && input.value !== chosenLabel) setValue("", "", "");
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });

    input.addEventListener("keydown", (event) => {
      const items = options();
      switch (event.key) {
        case "ArrowDown":
        case "ArrowUp":
          event.preventDefault();
          if (list.hidden) {
            if (items.length) open(true);
            else if (input.value.trim().length >= MIN_CHARS) search();
            if (list.hidden) return;
          }
          if (!items.length) return;
          if (event.key === "ArrowDown") setActive(active < items.length - 1 ? active + 1 : 0);
          else setActive(active > 0 ? active - 1 : items.length - 1);
          break;
        case "Enter":
          if (list.hidden) return; // a closed list: Enter submits the form as usual
          event.preventDefault();
          if (active >= 0) choose(items[active]);
          else if (items.length === 1) choose(items[0]);
          break;
        case "Escape":
          if (!list.hidden) {
            event.preventDefault();
            open(false);
          } else if (input.value) {
            event.preventDefault();
            input.value = "";
            setValue("", "", "");
            status.textContent = "";
          }
          break;
        case "Tab":
          open(false);
          break;
        default:
      }
    });

    input.addEventListener("focus", () => {
      if (!hidden.value && options().length) open(true);
    });
    input.addEventListener("blur", () => open(false));
    // Keep the focus in the box while an option is clicked, then pick it.
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const item = event.target.closest("[role=option]:not([aria-disabled=true])");
      if (item) choose(item);
    });
  }

  document.querySelectorAll("[data-patient-picker]").forEach(enhance);
  document.addEventListener("htmx:load", (event) => {
    event.target.querySelectorAll("[data-patient-picker]").forEach(enhance);
  });
})();
