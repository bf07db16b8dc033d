// Live progress of a campaign being sent: polls its JSON and updates the counts and the
// delivery log in place (no reload), until nothing is queued any more.
(function () {
  "use strict";
  const section = document.querySelector("[data-campaign-progress]");
  if (!section) return;
  const url = section.getAttribute("data-campaign-progress");
  const bar = section.querySelector("progress");
  const log = document.querySelector("[data-delivery-log]");
  const retry = section.querySelector("[data-retry]");
  const status = section.querySelector("[data-status]");
  let delay = 1500;

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text; // names and errors are shown as text, never as markup
    return td;
  }

  async function refreshLog() {
    if (!log) return;
    const response = await fetch(log.getAttribute("data-delivery-log"), { headers: { accept: "application/json" } });
    if (!response.ok) return;
    const rows = await response.json();
    const body = document.createElement("tbody");
    for (const row of rows) {
      const tr = document.createElement("tr");
      tr.append(cell(row.name), cell(row.email));
      const state = document.createElement("td");
      const badge = document.createElement("span");
      badge.className = "status status-" + row.status;
      badge.textContent = log.getAttribute("data-label-" + row.status) || row.status;
      state.append(badge);
      tr.append(state, cell(String(row.attempts)), cell(row.error));
      body.append(tr);
    }
    log.querySelector("tbody").replaceWith(body);
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const campaign = await response.json();
        const counts = campaign.counts;
        for (const name of ["queued", "sent", "failed"]) {
          const target = section.querySelector('[data-count="' + name + '"]');
          if (target) target.textContent = String(counts[name]);
        }
        const total = counts.queued + counts.sent + counts.failed;
        if (bar) { bar.max = total || 1; bar.value = counts.sent + counts.failed; }
        if (retry) retry.hidden = counts.failed === 0;
        await refreshLog();
        if (counts.queued === 0) {
          if (status) status.textContent = status.getAttribute("data-done-text");
          return;
        }
        delay = 1500;
      } else {
        delay = Math.min(delay * 2, 30000);
      }
    } catch (error) {
      delay = Math.min(delay * 2, 30000);
    }
    window.setTimeout(poll, delay);
  }
  window.setTimeout(poll, delay);
})();
