// Idle sign-out, the browser's half (the server's is audit/idle.py). <body data-idle-timeout="900"
// data-idle-keep-alive="/audit/keep-alive/"> on staff pages: two minutes before the time is up the
// #idle-warning modal asks "Still there?"; "Stay signed in" pings the keep-alive address and starts
// the count again; when the time is up the browser signs out (#idle-sign-out-form), which lands on the
// login page with the reason. Every htmx request counts as activity, as it does on the server.
(function () {
  const WARN_BEFORE_MS = 2 * 60 * 1000;
  const body = document.body;
  const timeoutMs = parseInt(body.dataset.idleTimeout, 10) * 1000;
  const keepAliveUrl = body.dataset.idleKeepAlive;
  const box = document.getElementById("idle-warning");
  const signOut = document.getElementById("idle-sign-out-form");
  if (!timeoutMs || !keepAliveUrl || !box || !signOut || !window.bootstrap) return;
  const modal = bootstrap.Modal.getOrCreateInstance(box);
  let warnTimer = null;
  let endTimer = null;

  function restart() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(function () { modal.show(); }, Math.max(timeoutMs - WARN_BEFORE_MS, 0));
    endTimer = setTimeout(function () { signOut.submit(); }, timeoutMs);
  }

  document.getElementById("idle-stay").addEventListener("click", function () {
    const token = signOut.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(keepAliveUrl, { method: "POST", headers: { "X-CSRFToken": token }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 204) {
          modal.hide();
          restart();
        } else {
          window.location.reload(); // signed out already: the server sends the login page
        }
      })
      .catch(function () { modal.hide(); restart(); });
  });
  document.addEventListener("htmx:afterRequest", function () {
    if (!box.classList.contains("show")) restart();
  });
  restart();
})();
