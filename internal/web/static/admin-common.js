// Helpers shared by the admin portal's views (admin-blocks.js,
// admin-users.js, admin-conversations.js): route links and CSV downloads.
import { ApiError, el } from "/static/common.js";


/** A link to a hash route that navigates with ctx.go (a plain href, so it also opens in a new tab). */
export function routeLink(ctx, hash, text, attrs = {}) {
  return el(
    "a",
    {
      href: hash,
      ...attrs,
      onclick: (ev) => {
        if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
        ev.preventDefault();
        ctx.go(hash);
      },
    },
    text,
  );
}

/** The number of records of a CSV text without its header row (newlines inside quotes do not end a record). */
export function csvRows(text) {
  let records = 0;
  let quoted = false;
  let content = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === "\n" || ch === "\r")) {
      if (content) records++;
      content = false;
      continue;
    }
    content = true;
  }
  if (content) records++;
  return Math.max(0, records - 1);
}

/**
 * Downloads a CSV export of the API as filename: a plain link cannot send
 * the bearer token, so it is fetched, then saved through an object URL.
 * Resolves to the number of records; rejects with ApiError.
 */
export async function downloadCSV(path, token, filename) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token}`, Accept: "text/csv" }, cache: "no-store" });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
  const text = await res.text();
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = el("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return csvRows(text);
}
