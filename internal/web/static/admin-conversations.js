// Admin portal: the conversations views. #conversations lists them with
// their block status (filters, pages, CSV export); #conversation/ID shows
// one: its fields, its block records, the strikes of its subjects
// (automatic moderation, with a clear button) and its transcript. Each view is an
// async function(root, ctx) as admin.js calls it.

import { ApiError, api, el, replace, timeEl, status, fail, words, dataTable, confirmDialog, duration } from "/static/common.js";
import { routeLink, downloadCSV } from "/static/admin-common.js";

/** Rows of a page of the list. */
export const PAGE_SIZE = 20;

/** A block status badge: active, ended or none. */
function statusBadge(s) {
  const v = s || "none";
  return el("span", { class: `badge ${v === "none" ? "" : v}`.trim() }, v);
}

/** Who a conversation is with: "anonymous", or the user's name and id. */
function userText(c) {
  if (!c.authenticated && !c.user_id) return "anonymous";
  if (c.user_name && c.user_id) return `${c.user_name} (${c.user_id})`;
  return c.user_id || c.user_name || "authenticated";
}


/** Shows an error of loading inside the view and in the status line; 401 is thrown for the shell. */
function loadProblem(box, err, what) {
  if (err instanceof ApiError && err.status === 401) throw err;
  const why = err instanceof ApiError ? err.describe() : `Cannot reach the server (${err.message})`;
  replace(box, el("p", { class: "notice load-error", role: "alert" }, `Cannot load ${what}: ${why}`));
  fail(err);
}

const BLOCK_STATUSES = [
  { value: "", label: "Any" },
  { value: "active", label: "Active" },
  { value: "ended", label: "Ended" },
  { value: "none", label: "None" },
];
const BLOCKED = [
  { value: "", label: "Any" },
  { value: "true", label: "Yes" },
  { value: "false", label: "No" },
];

function select(id, name, options, value) {
  return el(
    "select",
    { id, name },
    options.map((o) => el("option", { value: o.value, selected: o.value === value }, o.label)),
  );
}

// ---- the list ----------------------------------------------------------------

export async function showConversations(root, ctx) {
  const params = ctx.params || {};
  const filters = {
    block_status: BLOCK_STATUSES.some((o) => o.value === params.block_status) ? params.block_status : "",
    blocked: BLOCKED.some((o) => o.value === params.blocked) ? params.blocked : "",
  };
  // cursors[i] is the "after" of page i (page 0 has none).
  const st = { page: 0, cursors: [""] };

  const statusSel = select("conv-block-status", "block_status", BLOCK_STATUSES, filters.block_status);
  const blockedSel = select("conv-blocked", "blocked", BLOCKED, filters.blocked);
  const form = el(
    "form",
    { id: "conv-filters", class: "panel", "aria-label": "Filter conversations" },
    el(
      "div",
      { class: "grid" },
      el("div", {}, el("label", { for: "conv-block-status" }, "Block status"), statusSel),
      el("div", {}, el("label", { for: "conv-blocked" }, "Marked blocked"), blockedSel),
      el("div", {}, el("button", { type: "submit", id: "conv-apply" }, "Apply filters")),
    ),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    if (statusSel.value) q.set("block_status", statusSel.value);
    if (blockedSel.value) q.set("blocked", blockedSel.value);
    const qs = q.toString();
    ctx.go(qs ? `#conversations?${qs}` : "#conversations");
  });

  const results = el("section", { id: "conv-results", "aria-labelledby": "conv-results-title" });
  replace(root, el("h2", { id: "conv-title" }, "Conversations"), form, results);

  let loads = 0;
  async function load() {
    const n = ++loads;
    const q = new URLSearchParams();
    if (filters.block_status) q.set("block_status", filters.block_status);
    if (filters.blocked) q.set("blocked", filters.blocked);
    q.set("limit", String(PAGE_SIZE));
    if (st.cursors[st.page]) q.set("after", st.cursors[st.page]);
    results.setAttribute("aria-busy", "true");
    let data;
    try {
      data = await api(`/v1/admin/conversations?${q}`, { token: ctx.token });
    } catch (err) {
      if (n !== loads) return;
      results.removeAttribute("aria-busy");
      loadProblem(results, err, "the conversations");
      return;
    }
    if (n !== loads) return;
    results.removeAttribute("aria-busy");
    draw(data);
  }

  function draw(data) {
    const list = Array.isArray(data.conversations) ? data.conversations : [];
    const cols = ["Conversation", "Channel", "Started", "User", "Block status", "Reason category", "Messages"];
    const rows = list.map((c) =>
      el(
        "tr",
        { dataset: { id: c.id, blockStatus: c.block_status || "none" } },
        [
          routeLink(ctx, `#conversation/${encodeURIComponent(c.id)}`, c.id, { "aria-label": `Conversation ${c.id}` }),
          c.channel || "—",
          timeEl(c.started_at),
          userText(c),
          statusBadge(c.block_status),
          words(c.block_reason_category),
          String(c.messages_count ?? "—"),
        ].map((v) => el("td", {}, v)),
      ),
    );
    replace(
      results,
      el("h3", { id: "conv-results-title", tabindex: "-1" }, `Page ${st.page + 1}`),
      el(
        "p",
        { id: "conv-count", class: "muted" },
        list.length ? `${list.length} conversation${list.length === 1 ? "" : "s"} shown.` : "No conversation matches these filters.",
      ),
      list.length
        ? dataTable({ id: "conversations-table", "aria-labelledby": "conv-results-title" }, cols, rows)
        : null,
      el(
        "nav",
        { class: "actions", "aria-label": "Pages of conversations" },
        el("button", { type: "button", id: "conv-prev", class: "secondary", disabled: st.page === 0, onclick: () => page(-1, data) }, "Previous"),
        el("span", { id: "conv-page", class: "muted" }, `Page ${st.page + 1}`),
        el("button", { type: "button", id: "conv-next", class: "secondary", disabled: !data.next, onclick: () => page(1, data) }, "Next"),
      ),
      el(
        "div",
        { class: "actions" },
        el(
          "button",
          { type: "button", id: "conv-export", class: "secondary", "aria-describedby": "conv-export-hint", onclick: (ev) => exportCSV(ev.currentTarget) },
          "Export CSV",
        ),
        el("span", { id: "conv-export-hint", class: "muted" }, "Exports every conversation matching the “Marked blocked” filter (the block status filter does not apply)."),
      ),
    );
  }

  async function page(step, data) {
    if (step > 0) {
      if (!data.next) return;
      st.cursors[st.page + 1] = data.next;
      st.page++;
    } else if (st.page > 0) {
      st.page--;
    }
    try {
      await load();
    } catch (err) {
      fail(err);
      return;
    }
    // Keep focus on the pager: the button used, else the other one.
    const used = document.getElementById(step > 0 ? "conv-next" : "conv-prev");
    const other = document.getElementById(step > 0 ? "conv-prev" : "conv-next");
    const target = [used, other].find((b) => b && !b.disabled);
    if (target) target.focus();
    else document.getElementById("conv-results-title")?.focus();
  }

  async function exportCSV(button) {
    const q = new URLSearchParams();
    if (filters.blocked) q.set("blocked", filters.blocked);
    const qs = q.toString();
    button.disabled = true;
    status("Exporting…");
    try {
      const n = await downloadCSV(`/v1/admin/conversations.csv${qs ? `?${qs}` : ""}`, ctx.token, "conversations.csv");
      status(`Exported ${n} conversation${n === 1 ? "" : "s"} to conversations.csv`, "ok");
    } catch (err) {
      fail(err);
    } finally {
      button.disabled = false;
    }
  }

  await load();
}

// ---- one conversation --------------------------------------------------------------

const FROM_LABEL = { user: "Visitor", bot: "Bot", agent: "Agent", system: "System", staff: "Staff note" };

function blockRecords(ctx, blocks) {
  if (!blocks.length) return el("p", { id: "conv-blocks-none", class: "muted" }, "No block records.");
  const cols = ["Status", "Key type", "Reason category", "Notes", "Created", "By", "Until", "Details"];
  const rows = blocks.map((b) =>
    el(
      "tr",
      { dataset: { id: b.id, status: b.status } },
      [
        el("span", { class: `badge ${b.status === "active" ? "active" : "ended"}` }, b.status),
        words(b.kind),
        words(b.reason_category),
        b.notes || "—",
        timeEl(b.created_at),
        b.created_by || "—",
        b.until ? timeEl(b.until) : "permanent",
        routeLink(ctx, `#block/${encodeURIComponent(b.id)}`, "Details", { "aria-label": `Details of block ${b.id}` }),
      ].map((v) => el("td", {}, v)),
    ),
  );
  return dataTable({ id: "conv-blocks-table", "aria-labelledby": "conv-blocks-title" }, cols, rows);
}

function transcript(messages) {
  if (!messages.length) return el("p", { id: "conv-transcript-none", class: "muted" }, "No messages.");
  return el(
    "ul",
    { class: "transcript", id: "conv-transcript", "aria-labelledby": "conv-transcript-title", tabindex: "0" },
    messages.map((m) => {
      const from = FROM_LABEL[m.from] ? m.from : "system";
      return el(
        "li",
        { class: `from-${from}` },
        el("span", { class: "who" }, `${FROM_LABEL[from]} · `, timeEl(m.at)),
        el("span", { class: "text" }, m.text || ""),
      );
    }),
  );
}

// ---- strikes (automatic moderation) ------------------------------------------------

const UNIT = { m: "minute", h: "hour", d: "day", w: "week", mo: "month" };

/** "1h" → "1 hour", "2d" → "2 days", "permanent" stays. */
export function periodText(p) {
  const m = /^(\d+)(mo|m|h|d|w)$/.exec(p || "");
  if (!m) return p || "—";
  const n = Number(m[1]);
  return `${n} ${UNIT[m[2]]}${n === 1 ? "" : "s"}`;
}

/** A Go duration text ("10m0s", "2160h0m0s") as "10 min", "90 d"; others unchanged. */
function goDuration(text) {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text || "");
  if (!m || !text) return text || "?";
  return duration(Number(m[1] || 0) * 3600 + Number(m[2] || 0) * 60 + Number(m[3] || 0));
}

/** What a subject is, without its value (an IP subject is a keyed hash, never the address). */
function subjectLabel(sub) {
  if (sub.startsWith("user:")) return `User ${sub.slice(5)}`;
  if (sub.startsWith("ip:")) return "Visitor's address (keyed hash)";
  if (sub.startsWith("conv:")) return "This conversation";
  return sub;
}

const STRIKE_KIND = { rate: "Rate limit", hit: "Rule hit", rule: "Rule", agent: "Agent warning", sanction: "Sanction" };

function strikeRows(list, conversationID, ctx) {
  return list.map((st) =>
    el(
      "tr",
      { dataset: { kind: st.kind, rule: st.rule } },
      [
        timeEl(st.at),
        STRIKE_KIND[st.kind] || words(st.kind),
        el("code", {}, st.rule || "—"),
        st.details && st.details.period ? periodText(st.details.period) : st.details && st.details.agent ? `by ${st.details.agent}` : "—",
        st.conversation_id && st.conversation_id !== conversationID
          ? routeLink(ctx, `#conversation/${encodeURIComponent(st.conversation_id)}`, st.conversation_id, { "aria-label": `Conversation ${st.conversation_id}` })
          : "this one",
      ].map((v) => el("td", {}, v)),
    ),
  );
}

/**
 * The strikes panel of a conversation: each subject's standing on the
 * ladder, its strikes and sanctions, and a button that clears them
 * (audited; confirmation with notes).
 */
async function strikesPanel(box, ctx, id) {
  let data;
  try {
    data = await api(`/v1/admin/conversations/${encodeURIComponent(id)}/strikes`, { token: ctx.token });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw err;
    replace(box, el("p", { class: "notice load-error", role: "alert" }, `Cannot load the strikes: ${err instanceof ApiError ? err.describe() : err.message}`));
    return;
  }
  const subjects = Array.isArray(data.subjects) ? data.subjects : [];
  const ladder = data.ladder || {};
  const items = subjects.map((sub, i) => {
    const history = Array.isArray(sub.history) ? sub.history : [];
    const sanctions = Array.isArray(sub.sanctions) ? sub.sanctions : [];
    const title = `strikes-subject-${i}`;
    const all = [...sanctions, ...history].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    const label = subjectLabel(sub.subject);
    return el(
      "div",
      { class: "subject", dataset: { subject: sub.subject } },
      el("h4", { id: title }, label),
      el(
        "p",
        { class: "muted standing" },
        `${sub.strikes} strike${sub.strikes === 1 ? "" : "s"} (${sub.recent} since the last offence), ` +
          `${sub.offences} offence${sub.offences === 1 ? "" : "s"}; the next offence: ${periodText(sub.next_period)}.`,
      ),
      all.length
        ? dataTable({ "aria-labelledby": title }, ["When", "Kind", "Rule or limit", "Details", "Conversation"], strikeRows(all, id, ctx))
        : el("p", { class: "muted" }, "No strikes."),
      el(
        "div",
        { class: "actions" },
        el(
          "button",
          {
            type: "button",
            class: "secondary",
            disabled: !all.length,
            dataset: { subject: sub.subject },
            "aria-label": `Clear strikes of ${label.toLowerCase()}`,
            onclick: () => clear(sub.subject, label),
          },
          "Clear strikes",
        ),
      ),
    );
  });
  replace(
    box,
    el(
      "p",
      { class: "muted", id: "conv-ladder" },
      `Ladder: ${ladder.strikes ?? "?"} strikes within ${goDuration(ladder.window)} make an offence; offences are blocked for ` +
        `${(ladder.periods || []).map(periodText).join(", then ")}; strikes are forgotten after ${goDuration(ladder.decay)}.`,
    ),
    items.length ? items : el("p", { class: "muted" }, "This conversation has no moderation subject."),
  );

  async function clear(subject, label) {
    const ans = await confirmDialog(`Clear the strikes and offences of ${label.toLowerCase()}? The ladder starts again for it.`, {
      confirmLabel: "Clear strikes",
      notes: true,
    });
    if (!ans.ok) {
      status("The strikes are kept.", "info");
      return;
    }
    try {
      const res = await api(`/v1/admin/conversations/${encodeURIComponent(id)}/strikes/clear`, {
        method: "POST",
        token: ctx.token,
        body: { subject, notes: ans.notes },
      });
      await strikesPanel(box, ctx, id);
      status(`Cleared ${res.cleared} strike${res.cleared === 1 ? "" : "s"}.`, "ok");
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      fail(err);
    }
  }
}

export async function showConversation(root, ctx) {
  const id = ctx.params && ctx.params.id;
  if (!id) {
    await ctx.go("#conversations");
    return;
  }
  const back = el("p", {}, routeLink(ctx, "#conversations", "← Conversations"));
  const body = el("div", { id: "conv-detail" });
  replace(root, back, el("h2", { id: "conv-title" }, `Conversation ${id}`), body);
  let c;
  try {
    c = await api(`/v1/admin/conversations/${encodeURIComponent(id)}`, { token: ctx.token });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(body, el("p", { id: "conv-none", class: "panel" }, `There is no conversation with the id ${id}.`));
      status(`No conversation ${id}`, "info");
      return;
    }
    loadProblem(body, err, `conversation ${id}`);
    return;
  }
  const yes = (v) => (v ? "yes" : "no");
  const row = (label, value) => [el("dt", {}, label), el("dd", {}, value)];
  const user =
    c.user_id && c.authenticated !== false
      ? routeLink(ctx, `#user/${encodeURIComponent(c.user_id)}`, userText(c), { "aria-label": `User page of ${c.user_id}` })
      : userText(c);
  const messages = Array.isArray(c.messages) ? c.messages : [];
  const blocks = Array.isArray(c.blocks) ? c.blocks : [];
  const strikes = el("div", { id: "conv-strikes-body", "aria-busy": "true" });
  replace(
    body,
    el(
      "section",
      { class: "panel", "aria-labelledby": "conv-fields-title" },
      el("h3", { id: "conv-fields-title" }, "Details"),
      el(
        "dl",
        { class: "details", id: "conv-fields" },
        row("Id", c.id || id),
        row("Channel", c.channel || "—"),
        row("Started", timeEl(c.started_at)),
        row("Updated", timeEl(c.updated_at)),
        row("User", user),
        row("Authenticated", yes(c.authenticated)),
        row("Marked blocked", yes(c.blocked)),
        row("Marked spam", yes(c.marked_spam)),
        row("Live chat blocked until", c.live_chat_blocked_until ? timeEl(c.live_chat_blocked_until) : "—"),
        row("Block status", statusBadge(c.block_status)),
        row("Block reason category", words(c.block_reason_category)),
        row("Messages", String(c.messages_count ?? messages.length)),
      ),
    ),
    el(
      "section",
      { class: "panel", "aria-labelledby": "conv-blocks-title" },
      el("h3", { id: "conv-blocks-title" }, "Block records"),
      blockRecords(ctx, blocks),
    ),
    el(
      "section",
      { class: "panel", id: "conv-strikes", "aria-labelledby": "conv-strikes-title" },
      el("h3", { id: "conv-strikes-title" }, "Strikes (automatic moderation)"),
      strikes,
    ),
    el(
      "section",
      { class: "panel", "aria-labelledby": "conv-transcript-title" },
      el("h3", { id: "conv-transcript-title" }, "Transcript"),
      transcript(messages),
    ),
  );
  await strikesPanel(strikes, ctx, id);
  strikes.removeAttribute("aria-busy");
}
