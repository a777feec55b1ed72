// Admin portal: automatic moderation. #moderation lists the watched-word
// rules with their hits over the last 7 days (enforced and shadow), the
// shadow/enforce switch of each rule (admins; supervisors see the mode),
// the most recent hits with a link to their conversation, and the limits
// in force. A view is an async function(root, ctx) as admin.js calls it.

import { ApiError, api, atLeast, el, replace, timeEl, status, fail, words, dataTable, confirmDialog } from "/static/common.js";
import { routeLink } from "/static/admin-common.js";

/** Recent hits shown in the view, newest first, over every rule. */
export const RECENT_HITS = 20;

function modeBadge(shadow) {
  return el("span", { class: `badge ${shadow ? "" : "active"}`.trim(), dataset: { mode: shadow ? "shadow" : "enforce" } }, shadow ? "shadow" : "enforce");
}

export async function showModeration(root, ctx) {
  const body = el("div", { id: "mod-body", "aria-busy": "true" });
  replace(root, el("h2", { id: "mod-title" }, "Automatic moderation"), body);
  const admin = atLeast(ctx.me.role, "admin");

  async function load() {
    body.setAttribute("aria-busy", "true");
    let data;
    try {
      data = await api("/v1/admin/moderation/rules", { token: ctx.token });
    } catch (err) {
      body.removeAttribute("aria-busy");
      if (err instanceof ApiError && err.status === 401) throw err;
      const why = err instanceof ApiError ? err.describe() : `Cannot reach the server (${err.message})`;
      replace(body, el("p", { class: "notice load-error", role: "alert" }, `Cannot load the rules: ${why}`));
      fail(err);
      return;
    }
    body.removeAttribute("aria-busy");
    draw(data);
  }

  function draw(data) {
    const rules = Array.isArray(data.rules) ? data.rules : [];
    const cols = ["Rule", "Action", "Matches", "Reason category", "Hits (7 days): enforced", "Would have (shadow)", "Mode"];
    const rows = rules.map((r) =>
      el(
        "tr",
        { dataset: { id: r.id, shadow: String(!!r.shadow) } },
        [
          el("code", {}, r.id),
          words(r.action),
          [r.words ? `${r.words} word${r.words === 1 ? "" : "s"}` : "", r.patterns ? `${r.patterns} pattern${r.patterns === 1 ? "" : "s"}` : ""].filter(Boolean).join(", ") || "—",
          words(r.reason_category),
          String(r.hits_enforced ?? 0),
          String(r.hits_shadow ?? 0),
          el(
            "span",
            { class: "mode" },
            modeBadge(r.shadow),
            " ",
            admin
              ? el(
                  "button",
                  {
                    type: "button",
                    class: "secondary",
                    id: `mode-${r.id}`,
                    "aria-label": r.shadow ? `Enforce rule ${r.id}` : `Shadow rule ${r.id}`,
                    onclick: (ev) => setMode(r, !r.shadow, ev.currentTarget),
                  },
                  r.shadow ? "Enforce" : "Shadow",
                )
              : null,
          ),
        ].map((v) => el("td", {}, v)),
      ),
    );
    const hits = rules
      .flatMap((r) => (Array.isArray(r.recent_hits) ? r.recent_hits : []).map((h) => ({ ...h, rule: h.rule || r.id })))
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
      .slice(0, RECENT_HITS);
    const hitRows = hits.map((h) =>
      el(
        "tr",
        { dataset: { rule: h.rule, conversation: h.conversation_id || "" } },
        [
          timeEl(h.at),
          el("code", {}, h.rule),
          words(h.details && h.details.action),
          h.details && h.details.shadow === "true" ? "would have (shadow)" : "enforced",
          h.conversation_id
            ? routeLink(ctx, `#conversation/${encodeURIComponent(h.conversation_id)}`, h.conversation_id, { "aria-label": `Conversation ${h.conversation_id}` })
            : "—",
        ].map((v) => el("td", {}, v)),
      ),
    );
    const limits = Object.entries(data.limits || {}).sort(([a], [b]) => (a < b ? -1 : 1));
    replace(
      body,
      data.off ? el("p", { class: "notice", id: "mod-off" }, "Automatic moderation is off on this server (moderation.off).") : null,
      el(
        "section",
        { class: "panel", "aria-labelledby": "mod-rules-title" },
        el("h3", { id: "mod-rules-title" }, "Rules"),
        el(
          "p",
          { class: "muted" },
          admin
            ? "A rule in shadow mode records what it would have done and enforces nothing; switch it to enforce once its hits look right."
            : "A rule in shadow mode records what it would have done and enforces nothing. Only admins switch the mode.",
        ),
        rules.length
          ? dataTable({ id: "mod-rules", "aria-labelledby": "mod-rules-title" }, cols, rows)
          : el("p", { class: "muted", id: "mod-rules-none" }, "No watched-word rules are configured (moderation.rules or rules_file)."),
      ),
      el(
        "section",
        { class: "panel", "aria-labelledby": "mod-hits-title" },
        el("h3", { id: "mod-hits-title" }, "Recent hits"),
        hits.length
          ? dataTable({ id: "mod-hits", "aria-labelledby": "mod-hits-title" }, ["When", "Rule", "Action", "Outcome", "Conversation"], hitRows)
          : el("p", { class: "muted", id: "mod-hits-none" }, "No rule has matched in the last 7 days."),
      ),
      el(
        "section",
        { class: "panel", "aria-labelledby": "mod-limits-title" },
        el("h3", { id: "mod-limits-title" }, "Limits"),
        limits.length
          ? el(
              "dl",
              { class: "details", id: "mod-limits" },
              limits.flatMap(([name, text]) => [el("dt", {}, el("code", {}, name)), el("dd", {}, text)]),
            )
          : el("p", { class: "muted" }, "No limits."),
      ),
    );
  }

  async function setMode(rule, shadow, button) {
    const ans = await confirmDialog(
      shadow
        ? `Switch rule ${rule.id} to shadow mode? It will only record what it would have done.`
        : `Enforce rule ${rule.id}? From now on its action (${rule.action}) applies to visitors.`,
      { confirmLabel: shadow ? "Shadow" : "Enforce", danger: !shadow },
    );
    if (!ans.ok) {
      status(`Rule ${rule.id} keeps its mode.`, "info");
      return;
    }
    button.disabled = true;
    try {
      await api(`/v1/admin/moderation/rules/${encodeURIComponent(rule.id)}/mode`, { method: "POST", token: ctx.token, body: { shadow } });
    } catch (err) {
      button.disabled = false;
      if (err instanceof ApiError && err.status === 401) throw err;
      fail(err);
      return;
    }
    await load();
    status(`Rule ${rule.id} is now in ${shadow ? "shadow" : "enforce"} mode.`, "ok");
    document.getElementById(`mode-${rule.id}`)?.focus();
  }

  await load();
}
