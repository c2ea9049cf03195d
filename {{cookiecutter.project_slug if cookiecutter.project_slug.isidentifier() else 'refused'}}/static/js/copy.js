// "Copy" buttons for a second factor's key and recovery codes. The buttons
// are hidden until this runs, so a browser without scripts (or without the
// clipboard) shows only the text, which can still be selected and copied.
(function () {
  "use strict";

  document.querySelectorAll(".copy-button[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) {
      return;
    }
    const source = document.getElementById(button.dataset.copy);
    const status = button.closest("main").querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", async function () {
      const items = source.querySelectorAll("li");
      const text = items.length ? Array.from(items, (item) => item.textContent.trim()).join("\n") : source.textContent.trim();
      try {
        await navigator.clipboard.writeText(text);
        status.textContent = "Copied.";
      } catch (error) {
        status.textContent = "Could not copy: select the text and copy it instead.";
      }
    });
  });
})();
