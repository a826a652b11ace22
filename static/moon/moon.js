// moon's few lines of JavaScript; every page works without them (htmx does the rest).
"use strict";

// Empty filter fields stay out of GET URLs, so the URLs pushed into history stay short.
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.verb !== "get") return;
  const data = event.detail.formData;
  for (const key of [...new Set(data.keys())]) {
    if (data.getAll(key).every((value) => value === "")) data.delete(key);
  }
});

// A failed read (server restarting, network blip) marks the page stale until the next success;
// a refused action (a pin past the limit) says why instead.
document.addEventListener("htmx:afterRequest", (event) => {
  const verb = event.detail.requestConfig?.verb;
  if (verb === "get") {
    document.body.classList.toggle("stale", !event.detail.successful);
    return;
  }
  const notice = document.getElementById("notice");
  if (notice && event.detail.failed) {
    notice.textContent = event.detail.xhr?.responseText || "That did not work: try again.";
    setTimeout(() => { notice.textContent = ""; }, 6000);
  }
});

// Token images come from third-party CDNs: hide the ones that fail instead of a broken icon.
document.addEventListener(
  "error",
  (event) => {
    if (event.target instanceof HTMLImageElement) event.target.classList.add("broken");
  },
  true,
);

// Copy buttons: `data-copy` goes to the clipboard, and the button says so for a moment.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button || !navigator.clipboard) return;
  navigator.clipboard.writeText(button.dataset.copy).then(() => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});

// The dashboard's event stream (htmx's SSE extension on `[sse-connect]`): while it is open,
// each row fetches itself when its token changes, and the table's own poll runs only every
// `data-poll-live` seconds (to re-rank and show new tokens); while it is down, every poll runs.
const stream = { open: false, lastPoll: Date.now() };
const streamState = (open) => {
  stream.open = open;
  document.body.classList.toggle("live", open);
  for (const label of document.querySelectorAll(".live-state")) {
    label.textContent = open ? "live ·" : "polling ·";
  }
};
document.addEventListener("htmx:sseOpen", () => streamState(true));
document.addEventListener("htmx:sseError", () => streamState(false));
document.addEventListener("htmx:afterSettle", () => streamState(stream.open));
// Pause: the table stops changing (no row updates from the stream, no re-reading) until the
// trader resumes, when it reads itself at once; what they ask for themselves (a sort, a
// filter, a pin) still runs.
const pause = { on: false };
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("#pause") : null;
  if (!button) return;
  pause.on = !pause.on;
  button.setAttribute("aria-pressed", String(pause.on));
  button.textContent = pause.on ? "Resume" : "Pause";
  document.body.classList.toggle("paused", pause.on);
  if (!pause.on) htmx.trigger(document.body, "resume");
});
document.addEventListener("htmx:beforeRequest", (event) => {
  const table = event.detail.elt;
  const own = event.detail.requestConfig?.triggeringEvent;
  if (pause.on && ((table.id === "token-table" && !own) || table.matches?.("tr[data-mint]"))) {
    event.preventDefault();
    return;
  }
  if (table.id !== "token-table" || own) return;
  const every = Number(table.closest("[data-poll-live]")?.dataset.pollLive || 0) * 1000;
  const now = Date.now();
  if (stream.open && now - stream.lastPoll < every) {
    event.preventDefault();
    return;
  }
  stream.lastPoll = now;
});

// A table wider than its box says that more columns are a sideways scroll away.
const markOverflow = () => {
  for (const box of document.querySelectorAll(".table-scroll")) {
    box.toggleAttribute("data-overflow", box.scrollWidth > box.clientWidth + 1);
  }
};
document.addEventListener("DOMContentLoaded", markOverflow);
document.addEventListener("htmx:afterSettle", markOverflow);
window.addEventListener("resize", markOverflow);

// The short mint beside a symbol copies the whole mint with the keyboard too.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" && event.key !== " ") return;
  const target = event.target instanceof Element ? event.target.closest("[data-copy][role=button]") : null;
  if (target) {
    event.preventDefault();
    target.click();
  }
});
