// Shows the referral form's fields that belong to the chosen source and funding route; the page's
// <script data-prefix> gives the form prefix. Server-side rules still apply.
(function () {
  function sync(prefix) {
    const pick = (name) => document.querySelector(`input[name="${prefix}${name}"]:checked`);
    const row = (name) => document.getElementById(`div_id_${prefix}${name}`);
    const funding = pick("funding_route");
    const source = pick("source");
    const show = (name, on) => { const r = row(name); if (r) r.classList.toggle("d-none", !on); };
    const route = funding ? funding.value : "nhs";
    show("commissioner", route === "nhs");
    ["insurer", "policy_number", "preauth_number"].forEach((n) => show(n, route === "insured"));
    const gp = !source || source.value === "gp";
    show("gp_practice_name", gp);
    show("gp_practice_ods", gp);
    const condition = document.getElementById(`id_${prefix}condition`);
    show("condition_other", condition && condition.value === "other");
  }
  const prefix = document.currentScript.dataset.prefix;
  document.addEventListener("change", () => sync(prefix));
  sync(prefix);
})();
