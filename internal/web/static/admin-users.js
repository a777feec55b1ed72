// Admin portal: the user page (#user, #user/ID). A lookup form; for a
// user, their Live Chat Blacklist entries and their chat activity data
// (two tabs), and "Unblock user" for supervisors and admins when an entry
// is active. A view is an async function(root, ctx) as admin.js calls it.

import { ApiError, api, atLeast, el, replace, timeEl, duration, status, fail, confirmDialog, words, dataTable } from "/static/common.js";
import { routeLink } from "/static/admin-common.js";

/** The lookup form, filled with id. */
function lookupForm(ctx, id) {
  const input = el("input", {
    id: "user-id",
    name: "id",
    type: "search",
    value: id || "",
    required: true,
    spellcheck: "false",
    autocomplete: "off",
    "aria-describedby": "user-id-hint",
  });
  const form = el(
    "form",
    { id: "user-lookup", class: "panel", role: "search", "aria-label": "Find a user" },
    el("label", { for: "user-id" }, "User id"),
    el("p", { id: "user-id-hint", class: "muted" }, "The host site's id of an authenticated visitor, e.g. u-42."),
    input,
    el("div", { class: "actions" }, el("button", { type: "submit", id: "user-find" }, "Find")),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = input.value.trim();
    if (!v) {
      input.focus();
      return;
    }
    ctx.go(`#user/${encodeURIComponent(v)}`);
  });
  return form;
}

/** What a user's entry's time left says. */
function timeLeft(b) {
  if (b.status !== "active") return "—";
  if (b.time_left_seconds != null) return duration(b.time_left_seconds);
  return b.until ? "—" : "permanent";
}

/** The table of the user's Live Chat Blacklist entries. */
function blacklistTable(ctx, list) {
  if (!list.length) return el("p", { id: "blacklist-empty", class: "muted" }, "No Live Chat Blacklist entries.");
  const cols = ["Status", "Reason category", "Reason", "Notes", "Blocked at", "By", "Until", "Time left", "Ended", "Details"];
  const rows = list.map((b) => {
    const ended =
      b.status === "active"
        ? "—"
        : el(
            "span",
            {},
            timeEl(b.ended_at || b.lifted_at),
            b.lifted_by ? el("span", { class: "lifted-by" }, ` lifted by ${b.lifted_by}`) : null,
            b.lift_notes ? el("span", { class: "lift-notes muted" }, ` (${b.lift_notes})`) : null,
          );
    const cells = [
      el("span", { class: `badge ${b.status === "active" ? "active" : "ended"}` }, b.status),
      words(b.reason_category),
      b.reason || "—",
      b.notes || "—",
      timeEl(b.created_at),
      b.created_by || "—",
      b.until ? timeEl(b.until) : "permanent",
      timeLeft(b),
      ended,
      routeLink(ctx, `#block/${encodeURIComponent(b.id)}`, "Details", { "aria-label": `Details of block ${b.id}` }),
    ];
    return el("tr", { dataset: { id: b.id, status: b.status } }, cells.map((c) => el("td", {}, c)));
  });
  return dataTable({ id: "blacklist-table", "aria-label": "Live Chat Blacklist entries" }, cols, rows);
}

/** The user's ChatActivityData as a details list, or "none". */
function activityDetails(act) {
  if (!act) return el("p", { id: "activity-none", class: "muted" }, "none");
  const row = (label, value) => [el("dt", {}, label), el("dd", {}, value)];
  return el(
    "dl",
    { class: "details", id: "activity-details" },
    row("LiveChatBlockedUntil", act.live_chat_blocked_until ? timeEl(act.live_chat_blocked_until) : "none"),
    row("LiveChatBlockedReason", act.live_chat_blocked_reason || "none"),
    row("LiveChatBlockedAt", act.live_chat_blocked_at ? timeEl(act.live_chat_blocked_at) : "none"),
    row("LiveChatBlockedByAgentName", act.live_chat_blocked_by_agent_name || "none"),
  );
}

/**
 * Two tabs (the tablist pattern: arrow keys, Home and End move between
 * them; only the selected one is in the tab order). tabs: [{id, label,
 * panel}]; the first is selected.
 */
function tabSet(tabs) {
  const buttons = tabs.map((t, i) =>
    el(
      "button",
      {
        type: "button",
        role: "tab",
        id: `${t.id}-tab`,
        "aria-controls": `${t.id}-panel`,
        "aria-selected": i === 0 ? "true" : "false",
        tabindex: i === 0 ? "0" : "-1",
      },
      t.label,
    ),
  );
  const panels = tabs.map((t, i) =>
    el("div", { role: "tabpanel", id: `${t.id}-panel`, "aria-labelledby": `${t.id}-tab`, tabindex: "0", hidden: i !== 0 }, t.panel),
  );
  const select = (j, focus) => {
    buttons.forEach((b, i) => {
      b.setAttribute("aria-selected", i === j ? "true" : "false");
      b.tabIndex = i === j ? 0 : -1;
      panels[i].hidden = i !== j;
    });
    if (focus) buttons[j].focus();
  };
  buttons.forEach((b, i) => b.addEventListener("click", () => select(i, false)));
  const list = el("div", { class: "tabs", role: "tablist", "aria-label": "User data" }, buttons);
  list.addEventListener("keydown", (ev) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j;
    if (ev.key === "ArrowRight") j = (i + 1) % buttons.length;
    else if (ev.key === "ArrowLeft") j = (i - 1 + buttons.length) % buttons.length;
    else if (ev.key === "Home") j = 0;
    else if (ev.key === "End") j = buttons.length - 1;
    else return;
    ev.preventDefault();
    select(j, true);
  });
  return [list, ...panels];
}

/** An error of loading, shown in the view and in the status line. */
function problemBox(text) {
  return el("p", { id: "user-error", class: "notice", role: "alert" }, text);
}

export async function showUser(root, ctx) {
  const id = (ctx.params && ctx.params.id) || "";
  const result = el("section", { id: "user-result", "aria-labelledby": "user-title" });
  replace(root, el("h2", { id: "user-title" }, id ? `User ${id}` : "Users"), lookupForm(ctx, id), id ? result : null);
  if (!id) return;

  const canUnblock = atLeast(ctx.me && ctx.me.role, "supervisor");

  /** Loads the user and draws them (a 401 is thrown for the shell to sign out). */
  async function load() {
    result.setAttribute("aria-busy", "true");
    let data;
    try {
      data = await api(`/v1/admin/users/${encodeURIComponent(id)}`, { token: ctx.token });
    } catch (err) {
      result.removeAttribute("aria-busy");
      if (err instanceof ApiError && err.status === 401) throw err;
      if (err instanceof ApiError && err.status === 404) {
        const text = `No blocks or chat activity for user ${id}`;
        replace(result, el("p", { id: "user-none", class: "panel" }, text));
        status(text, "info");
        return null;
      }
      const why = err instanceof ApiError ? err.describe() : `Cannot reach the server (${err.message})`;
      const text =
        err instanceof ApiError && err.status === 403
          ? `Viewing users needs a supervisor or admin role; you are signed in as ${ctx.me?.role || "unknown"}. (${why})`
          : `Cannot load user ${id}: ${why}`;
      replace(result, problemBox(text));
      fail(err);
      return null;
    }
    result.removeAttribute("aria-busy");
    draw(data);
    return data;
  }

  function draw(data) {
    const list = Array.isArray(data.blacklist) ? data.blacklist : [];
    const active = list.filter((b) => b.status === "active").length;
    const summary = el(
      "p",
      { id: "user-summary", class: "muted" },
      list.length
        ? `${list.length} Live Chat Blacklist entr${list.length === 1 ? "y" : "ies"}, ${active} active.`
        : "No Live Chat Blacklist entries.",
    );
    const actions =
      canUnblock && active > 0
        ? el(
            "div",
            { class: "actions" },
            el("button", { type: "button", id: "unblock-user", class: "danger", onclick: (ev) => unblock(ev.currentTarget, active) }, "Unblock user"),
          )
        : null;
    replace(
      result,
      summary,
      actions,
      tabSet([
        { id: "user-blacklist", label: "Live Chat Blacklist", panel: blacklistTable(ctx, list) },
        { id: "user-activity", label: "Chat activity data", panel: activityDetails(data.chat_activity_data) },
      ]),
    );
  }

  async function unblock(button, active) {
    const answer = await confirmDialog(
      `Unblock user ${id}? This lifts their ${active} active Live Chat Blacklist entr${active === 1 ? "y" : "ies"}.`,
      { confirmLabel: "Unblock user", notes: true, notesLabel: "Notes (why, optional)" },
    );
    if (!answer.ok) {
      button.focus();
      return;
    }
    button.disabled = true;
    status("Unblocking…");
    let res;
    try {
      res = await api(`/v1/admin/users/${encodeURIComponent(id)}/unblock`, {
        method: "POST",
        body: { notes: answer.notes },
        token: ctx.token,
      });
    } catch (err) {
      button.disabled = false;
      fail(err);
      return;
    }
    const n = Number(res.lifted) || 0;
    try {
      await load();
    } catch (err) {
      fail(err);
      return;
    }
    status(`Unblocked: ${n} block(s) lifted`, "ok");
    // The button is gone with the active entries: keep focus in the view.
    const next = document.getElementById("unblock-user") || document.getElementById("user-blacklist-tab");
    if (next) next.focus();
  }

  await load();
}
