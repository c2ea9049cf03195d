// Warn a signed-in user shortly before the server ends an idle session: a
// countdown, "Stay signed in" and "Sign out now". The server keeps the real
// clock: the page is told how many seconds are left, and when they run out
// it reloads, so the server ends the session and shows the sign-in page with
// its explanation. "Sign out now" is a plain form: it works without this.
(function () {
  "use strict";

  const script = document.currentScript;
  const dialog = document.getElementById("idle-warning");
  const stayButton = document.getElementById("idle-warning-stay");
  const countdown = document.getElementById("idle-warning-countdown");
  const stayUrl = script.dataset.stayUrl;
  const WARNING_MS = 60 * 1000;
  let timers = [];
  let ticker = null;
  let deadline = 0;

  function csrfToken() {
    // The sign-out form on every signed-in page carries the token; the
    // cookie itself is HttpOnly.
    const field = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  function describe(seconds) {
    if (seconds >= 60) {
      const minutes = Math.round(seconds / 60);
      return minutes === 1 ? "1 minute" : minutes + " minutes";
    }
    return seconds === 1 ? "1 second" : seconds + " seconds";
  }

  function tick() {
    const seconds = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    countdown.textContent = describe(seconds);
  }

  function warn() {
    tick();
    // The countdown changes every second: screen readers hear the dialog's
    // text once when it opens, not every tick.
    ticker = setInterval(tick, 1000);
    dialog.showModal();
  }

  function schedule(secondsLeft) {
    timers.forEach(clearTimeout);
    clearInterval(ticker);
    const leftMs = secondsLeft * 1000;
    deadline = Date.now() + leftMs;
    timers = [
      setTimeout(warn, Math.max(0, leftMs - Math.min(WARNING_MS, leftMs / 2))),
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
  dialog.addEventListener("cancel", function () { clearInterval(ticker); });
  schedule(Number(script.dataset.secondsLeft));
})();
