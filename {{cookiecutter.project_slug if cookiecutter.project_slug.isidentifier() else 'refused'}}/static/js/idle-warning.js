// Warn a signed-in user shortly before the server ends an idle session, and
// let them stay signed in. The server keeps the real clock: the page is told
// how many seconds are left, and when they run out it reloads, so the server
// ends the session and shows the sign-in page with its explanation.
(function () {
  "use strict";

  const script = document.currentScript;
  const dialog = document.getElementById("idle-warning");
  const stayButton = document.getElementById("idle-warning-stay");
  const stayUrl = script.dataset.stayUrl;
  const WARNING_MS = 60 * 1000;
  let timers = [];

  function csrfToken() {
    // The sign-out form on every signed-in page carries the token; the
    // cookie itself is HttpOnly.
    const field = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  function schedule(secondsLeft) {
    timers.forEach(clearTimeout);
    const leftMs = secondsLeft * 1000;
    timers = [
      setTimeout(function () { dialog.showModal(); }, Math.max(0, leftMs - Math.min(WARNING_MS, leftMs / 2))),
      setTimeout(function () { window.location.reload(); }, leftMs + 1000),
    ];
  }

  async function staySignedIn() {
    const response = await fetch(stayUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    });
    if (!response.ok) {
      window.location.reload();
      return;
    }
    const answer = await response.json();
    dialog.close();
    schedule(answer.seconds_left);
  }

  stayButton.addEventListener("click", staySignedIn);
  schedule(Number(script.dataset.secondsLeft));
})();
