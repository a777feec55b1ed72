// Admin portal: the block views. Active blocks and history (filters,
// search, pages, CSV export), one block's details with its actions
// (unblock, renew, edit), and the form for IP and range bans. Each view
// is an async function(root, ctx) as admin.js calls it.

import { ApiError, api, atLeast, el, replace, timeEl, duration, status, fail, confirmDialog, words, dataTable } from "/static/common.js";
import { downloadCSV } from "/static/admin-common.js";

/** Rows of a page of the block lists. */
export const PAGE_SIZE = 20;

const KIND_LABEL = { user: "User", conversation: "Conversation", ip: "IP address", range: "IP range" };

/** The status as a badge: active, or ended (expired or lifted). */
function statusBadge(b) {
  return el("span", { class: `badge ${b.status === "active" ? "active" : "ended"}` }, b.status);
}

/** The key a block is about: its user id, conversation id, IP or range. */
export function subject(b) {
  switch (b.kind) {
    case "user":
      return b.user_id || "—";
    case "conversation":
      return b.conversation_id || "—";
    case "ip":
      return b.ip || "(address not shown)";
    case "range":
      return b.range || "—";
  }
  return b.user_id || b.conversation_id || b.ip || b.range || "—";
}

/** A labelled control in a div (for .grid forms). */
function field(id, label, control, hint) {
  return el("div", {}, el("label", { for: id }, label), control, hint || null);
}

function select(id, name, options, value) {
  return el(
    "select",
    { id, name },
    options.map((o) => el("option", { value: o.value, selected: o.value === value }, o.label)),
  );
}

/** A checkbox with its label on the right. */
function checkbox(id, name, value, label, checked, attrs = {}) {
  return el(
    "label",
    { class: "choice", for: id },
    el("input", { type: "checkbox", id, name, value, checked, ...attrs }),
    label,
  );
}

/** The period select with "Custom minutes" and its (hidden until chosen) number input. */
function periodField(prefix, me, value = "1d") {
  const minutes = el("input", { id: `${prefix}-minutes`, name: "minutes", type: "number", min: 1, step: 1, inputmode: "numeric" });
  const custom = el("div", { hidden: true }, el("label", { for: `${prefix}-minutes` }, "Custom minutes"), minutes);
  const sel = select(
    `${prefix}-period`,
    "period",
    [...me.periods.map((p) => ({ value: p.name, label: p.label })), { value: "custom", label: "Custom minutes…" }],
    value,
  );
  sel.addEventListener("change", () => {
    custom.hidden = sel.value !== "custom";
  });
  const read = () => {
    if (sel.value !== "custom") {
      return { period: sel.value, label: sel.selectedOptions[0]?.textContent || sel.value };
    }
    const n = minutes.value.trim();
    return { period: n, label: `${n} minutes` };
  };
  return { nodes: [field(`${prefix}-period`, "Period", sel), custom], read };
}

/** Marks the controls named by an ApiError's field list as invalid. */
function markInvalid(form, err) {
  for (const n of form.querySelectorAll("[aria-invalid]")) n.removeAttribute("aria-invalid");
  if (!(err instanceof ApiError)) return;
  for (const e of err.errors) {
    const name = String(e.field || "").replace(/\[\d+\]$/, "");
    for (const n of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) n.setAttribute("aria-invalid", "true");
  }
}

function dateStart(value, addDays = 0) {
  // A date input's value is the viewer's local day: its bounds in UTC.
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d + addDays).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The query parameters of the list filters (without status and paging). */
function filterQuery(f) {
  const q = new URLSearchParams();
  if (f.reason_category) q.set("reason_category", f.reason_category);
  if (f.from) q.set("created_from", dateStart(f.from));
  if (f.to) q.set("created_to", dateStart(f.to, 1));
  if (f.created_by) q.set("created_by", f.created_by);
  if (f.channel) q.set("channel", f.channel);
  if (f.kind) q.set("kind", f.kind);
  return q;
}


// ---- active blocks and history ---------------------------------------------

/** The state of each list, kept while the portal is open (back from details keeps the filters). */
const lists = {
  active: { filters: {}, cursors: [""], page: 0, search: "" },
  ended: { filters: {}, cursors: [""], page: 0, search: "" },
};

export async function showBlocks(root, ctx) {
  await showList(root, ctx, "active");
}

export async function showHistory(root, ctx) {
  await showList(root, ctx, "ended");
}

async function showList(root, ctx, which) {
  const st = lists[which];
  const active = which === "active";
  const me = ctx.me;

  // Filters.
  const f = st.filters;
  const controls = {
    reason_category: select("f-category", "reason_category", [{ value: "", label: "Any" }, ...me.reason_categories.map((c) => ({ value: c, label: words(c) }))], f.reason_category || ""),
    from: el("input", { id: "f-from", name: "created_from", type: "date", value: f.from || "" }),
    to: el("input", { id: "f-to", name: "created_to", type: "date", value: f.to || "" }),
    created_by: el("input", { id: "f-agent", name: "created_by", type: "text", value: f.created_by || "", placeholder: "ann@acme.test", autocomplete: "off" }),
    channel: select("f-channel", "channel", [{ value: "", label: "Any" }, ...me.channels.map((c) => ({ value: c, label: words(c) }))], f.channel || ""),
    kind: select("f-kind", "kind", [{ value: "", label: "Any" }, ...Object.entries(KIND_LABEL).map(([value, label]) => ({ value, label }))], f.kind || ""),
  };
  const filterForm = el(
    "form",
    { id: "filters", "aria-labelledby": "filters-title" },
    el("h3", { id: "filters-title" }, "Filters"),
    el(
      "div",
      { class: "grid" },
      field("f-category", "Reason category", controls.reason_category),
      field("f-from", "From date", controls.from),
      field("f-to", "To date", controls.to),
      field("f-agent", "Agent (blocked by)", controls.created_by),
      field("f-channel", "Channel", controls.channel),
      field("f-kind", "Key type", controls.kind),
    ),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit", id: "f-apply" }, "Apply"),
      el("button", { type: "button", id: "f-reset", class: "secondary", onclick: () => resetFilters() }, "Reset"),
    ),
  );
  filterForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    st.filters = {
      reason_category: controls.reason_category.value,
      from: controls.from.value,
      to: controls.to.value,
      created_by: controls.created_by.value.trim(),
      channel: controls.channel.value,
      kind: controls.kind.value,
    };
    if (st.filters.from && st.filters.to && st.filters.from > st.filters.to) {
      status("The From date is after the To date.", "error");
      controls.from.setAttribute("aria-invalid", "true");
      return;
    }
    controls.from.removeAttribute("aria-invalid");
    st.search = "";
    searchInput.value = "";
    firstPage();
  });
  function resetFilters() {
    st.filters = {};
    for (const c of Object.values(controls)) c.value = "";
    st.search = "";
    searchInput.value = "";
    firstPage();
  }

  // Search.
  const searchInput = el("input", {
    id: "search-q",
    name: "q",
    type: "search",
    value: st.search,
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "search-hint",
  });
  const searchForm = el(
    "form",
    { id: "search", role: "search" },
    el("label", { for: "search-q" }, "Search user id, IP, range, conversation or block id"),
    searchInput,
    el("p", { id: "search-hint", class: "muted" }, "An IP inside a banned range finds the range."),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit", id: "search-go" }, "Search"),
    ),
  );
  searchForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = searchInput.value.trim();
    if (!q) {
      status("Type a user id, IP address, range, conversation id or block id to search.", "error");
      searchInput.focus();
      return;
    }
    st.search = q;
    load();
  });

  const results = el("section", { id: "results", class: "panel", "aria-labelledby": "results-title" });

  replace(
    root,
    el("h2", {}, active ? "Active blocks" : "History: ended and lifted blocks"),
    el("div", { class: "panel" }, filterForm),
    el("div", { class: "panel" }, searchForm),
    results,
  );

  function firstPage() {
    st.cursors = [""];
    st.page = 0;
    load();
  }

  let loads = 0;
  // initial: the view's first load, whose errors go to the shell (a 401 signs out).
  async function load(initial = false) {
    const n = ++loads;
    results.setAttribute("aria-busy", "true");
    let data;
    try {
      if (st.search) {
        data = await api(`/v1/admin/blocks/search?q=${encodeURIComponent(st.search)}`, { token: ctx.token });
      } else {
        const q = filterQuery(st.filters);
        q.set("status", which);
        q.set("limit", String(PAGE_SIZE));
        if (st.cursors[st.page]) q.set("after", st.cursors[st.page]);
        data = await api(`/v1/admin/blocks?${q}`, { token: ctx.token });
      }
    } catch (err) {
      if (n === loads) {
        results.removeAttribute("aria-busy");
        if (initial) throw err;
        fail(err);
      }
      return;
    }
    if (n !== loads) return;
    results.removeAttribute("aria-busy");
    drawResults(data);
  }

  function drawResults(data) {
    const blocks = Array.isArray(data.blocks) ? data.blocks : [];
    const searching = !!st.search;
    const title = searching ? `Search results for “${st.search}”` : `Page ${st.page + 1}`;
    const cols = ["Key type", "Subject", "Reason category", "Created", "By"];
    if (searching || !active) cols.push("Status");
    if (active && !searching) cols.push("Until", "Time left");
    else if (!searching) cols.push("Ended at", "Lifted by", "Lift notes");
    else cols.push("Until");
    cols.push("Details");
    const rows = blocks.map((b) => {
      const cells = [
        KIND_LABEL[b.kind] || b.kind,
        el("span", { class: "subject" }, subject(b), b.allow ? el("span", { class: "badge" }, " exception") : null),
        words(b.reason_category),
        timeEl(b.created_at),
        b.created_by || "—",
      ];
      if (searching || !active) cells.push(statusBadge(b));
      if (active && !searching) {
        cells.push(b.until ? timeEl(b.until) : "permanent", b.time_left_seconds != null ? duration(b.time_left_seconds) : b.until ? "—" : "permanent");
      } else if (!searching) {
        cells.push(timeEl(b.ended_at || b.lifted_at), b.lifted_by || "—", b.lift_notes || "—");
      } else {
        cells.push(b.until ? timeEl(b.until) : "permanent");
      }
      cells.push(el("a", { href: `#block/${encodeURIComponent(b.id)}`, "aria-label": `Details of the block of ${subject(b)}` }, "Details"));
      return el("tr", { dataset: { id: b.id, kind: b.kind } }, cells.map((c) => el("td", {}, c)));
    });
    const empty = searching ? `No block matches “${st.search}”.` : active ? "No active block matches these filters." : "No ended block matches these filters.";
    const pager = searching
      ? el(
          "div",
          { class: "actions" },
          el("button", { type: "button", id: "search-clear", class: "secondary", onclick: () => clearSearch() }, "Back to the list"),
        )
      : el(
          "nav",
          { class: "actions", "aria-label": "Pages of blocks" },
          el("button", { type: "button", id: "page-prev", class: "secondary", disabled: st.page === 0, onclick: () => page(-1, data) }, "Previous"),
          el("span", { id: "page-label", class: "muted" }, `Page ${st.page + 1}`),
          el("button", { type: "button", id: "page-next", class: "secondary", disabled: !data.next, onclick: () => page(1, data) }, "Next"),
        );
    replace(
      results,
      el("h3", { id: "results-title" }, title),
      el("p", { id: "results-count", class: "muted" }, blocks.length ? `${blocks.length} block${blocks.length === 1 ? "" : "s"} shown.` : empty),
      blocks.length
        ? dataTable({ id: "blocks-table", "aria-labelledby": "results-title" }, cols, rows)
        : null,
      pager,
      searching
        ? null
        : el(
            "div",
            { class: "actions" },
            el("button", { type: "button", id: "export-csv", class: "secondary", onclick: (ev) => exportCSV(ev.currentTarget) }, "Export CSV"),
          ),
    );
  }

  function clearSearch() {
    st.search = "";
    searchInput.value = "";
    load();
  }

  async function page(step, data) {
    if (step > 0) {
      if (!data.next) return;
      st.cursors[st.page + 1] = data.next;
      st.page++;
    } else if (st.page > 0) {
      st.page--;
    }
    await load();
    const btn = document.getElementById(step > 0 ? "page-next" : "page-prev");
    if (btn && !btn.disabled) btn.focus();
    else document.getElementById("results-title")?.focus?.();
  }

  async function exportCSV(button) {
    const q = filterQuery(st.filters);
    q.set("status", which);
    button.disabled = true;
    status("Exporting…");
    try {
      const n = await downloadCSV(`/v1/admin/blocks.csv?${q}`, ctx.token, "blocks.csv");
      status(`Exported ${n} block${n === 1 ? "" : "s"} to blocks.csv`, "ok");
    } catch (err) {
      fail(err);
    } finally {
      button.disabled = false;
    }
  }

  await load(true);
}

// ---- one block -----------------------------------------------------------------

export async function showBlock(root, ctx) {
  const id = ctx.params.id;
  if (!id) {
    await ctx.go("#blocks");
    return;
  }
  let b;
  try {
    b = await api(`/v1/admin/blocks/${encodeURIComponent(id)}`, { token: ctx.token });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(
        root,
        el("h2", {}, "Block not found"),
        el("p", { class: "panel" }, `There is no block with the id ${id}. `, el("a", { href: "#blocks" }, "Back to the active blocks")),
      );
      return;
    }
    throw err;
  }
  drawBlock(root, ctx, b);
}

function row(name, key, value) {
  return [el("dt", {}, name), el("dd", { dataset: { field: key } }, value)];
}

function drawBlock(root, ctx, b) {
  const isActive = b.status === "active";
  const canAct = isActive && atLeast(ctx.me?.role, "supervisor");
  const timeLeft =
    b.time_left_seconds != null ? duration(b.time_left_seconds) : isActive && !b.until ? "permanent" : "—";
  const dl = el(
    "dl",
    { class: "details", id: "block-details" },
    row("Key type", "kind", KIND_LABEL[b.kind] || b.kind),
    b.user_id ? row("User", "user_id", el("a", { href: `#user/${encodeURIComponent(b.user_id)}` }, b.user_id)) : null,
    b.conversation_id
      ? row("Conversation", "conversation_id", el("a", { href: `#conversation/${encodeURIComponent(b.conversation_id)}` }, b.conversation_id))
      : null,
    b.kind === "ip" || b.ip ? row("IP address", "ip", b.ip || "(not shown)") : null,
    b.range ? row("IP range", "range", b.range) : null,
    b.allow ? row("Exception", "allow", "Yes: this address is never blocked") : null,
    row("Status", "status", statusBadge(b)),
    row("Blocked at", "created_at", timeEl(b.created_at)),
    row("Blocked by", "created_by", b.created_by || "—"),
    row("Reason category", "reason_category", words(b.reason_category)),
    row("Reason", "reason", b.reason || "—"),
    row("Notes", "notes", b.notes || "—"),
    row("Until", "until", b.until ? timeEl(b.until) : "permanent"),
    row("Time left", "time_left", timeLeft),
    row("Channels", "channels", (b.channels || []).length ? b.channels.map(words).join(", ") : "all channels"),
    row("Hit count", "hit_count", String(b.hit_count ?? 0)),
    b.ended_at ? row("Ended at", "ended_at", timeEl(b.ended_at)) : null,
    b.lifted_at ? row("Lifted at", "lifted_at", timeEl(b.lifted_at)) : null,
    b.lifted_by ? row("Lifted by", "lifted_by", b.lifted_by) : null,
    b.lifted_at || b.lift_notes ? row("Lift notes", "lift_notes", b.lift_notes || "—") : null,
    b.purged ? row("Personal data", "purged", "purged") : null,
  );

  const formArea = el("div", { id: "act-form" });
  const buttons = canAct
    ? el(
        "div",
        { class: "actions", id: "block-actions" },
        el("button", { type: "button", id: "act-unblock", class: "danger", onclick: () => unblock() }, "Unblock now"),
        el("button", { type: "button", id: "act-renew", class: "secondary", "aria-expanded": "false", "aria-controls": "act-form", onclick: (ev) => openForm(ev.currentTarget, renewForm) }, "Renew…"),
        el("button", { type: "button", id: "act-edit", class: "secondary", "aria-expanded": "false", "aria-controls": "act-form", onclick: (ev) => openForm(ev.currentTarget, editForm) }, "Edit…"),
      )
    : null;

  replace(
    root,
    el("h2", { id: "block-title" }, `Block of ${KIND_LABEL[b.kind] ? KIND_LABEL[b.kind].toLowerCase() : b.kind} ${subject(b)}`),
    el("p", {}, el("a", { href: isActive ? "#blocks" : "#history" }, isActive ? "← Active blocks" : "← History")),
    el("section", { class: "panel", "aria-labelledby": "block-title" }, dl, buttons, formArea),
  );

  const redraw = (nb, text) => {
    drawBlock(root, ctx, nb);
    status(text, "ok");
  };

  function openForm(button, build) {
    const open = button.getAttribute("aria-expanded") === "true";
    for (const bt of root.querySelectorAll("#block-actions [aria-expanded]")) bt.setAttribute("aria-expanded", "false");
    if (open) {
      replace(formArea);
      return;
    }
    button.setAttribute("aria-expanded", "true");
    const form = build(() => {
      replace(formArea);
      button.setAttribute("aria-expanded", "false");
      button.focus();
    });
    replace(formArea, form);
    form.querySelector("select, input, textarea")?.focus();
  }

  async function unblock() {
    const res = await confirmDialog(
      `Unblock ${subject(b)} now? The block ends at once and the ${b.kind === "user" ? "customer" : "visitor"} can use the blocked channels again.`,
      { confirmLabel: "Unblock now", notes: true, notesLabel: "Notes (why the block is lifted)" },
    );
    if (!res.ok) {
      status("Nothing changed: the block is still active.", "info");
      document.getElementById("act-unblock")?.focus();
      return;
    }
    try {
      const nb = await api(`/v1/admin/blocks/${encodeURIComponent(b.id)}/lift`, { method: "POST", token: ctx.token, body: { notes: res.notes } });
      redraw(nb, "Unblocked: the block has ended.");
    } catch (err) {
      fail(err);
    }
  }

  function renewForm(close) {
    const per = periodField("renew", ctx.me, "1w");
    const notes = el("textarea", { id: "renew-notes", name: "notes", rows: 2, maxlength: 4000 });
    const form = el(
      "form",
      { id: "renew-form", class: "panel", "aria-labelledby": "renew-title" },
      el("h3", { id: "renew-title" }, "Renew the block"),
      el("p", { class: "muted" }, "The new period counts from now."),
      el("div", { class: "grid" }, per.nodes),
      el("label", { for: "renew-notes" }, "Notes (optional)"),
      notes,
      el(
        "div",
        { class: "actions" },
        el("button", { type: "submit", id: "renew-save" }, "Renew"),
        el("button", { type: "button", class: "secondary", onclick: close }, "Cancel"),
      ),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const { period, label } = per.read();
      if (!period) {
        status("Type the number of minutes of the custom period.", "error");
        form.querySelector("#renew-minutes")?.focus();
        return;
      }
      const ok = await confirmDialog(`Renew this block for ${label}, counted from now?`, { confirmLabel: "Renew", danger: false });
      if (!ok.ok) return;
      try {
        const nb = await api(`/v1/admin/blocks/${encodeURIComponent(b.id)}/renew`, {
          method: "POST",
          token: ctx.token,
          body: { period, notes: notes.value.trim() },
        });
        redraw(nb, nb.until ? `Renewed: the block now ends ${new Date(nb.until).toLocaleString()}.` : "Renewed: the block is now permanent.");
      } catch (err) {
        markInvalid(form, err);
        fail(err);
      }
    });
    return form;
  }

  function editForm(close) {
    const me = ctx.me;
    const cat = select("edit-category", "reason_category", me.reason_categories.map((c) => ({ value: c, label: words(c) })), b.reason_category || "");
    if (b.reason_category && !me.reason_categories.includes(b.reason_category)) {
      cat.prepend(el("option", { value: b.reason_category, selected: true }, words(b.reason_category)));
    }
    const reason = el("input", { id: "edit-reason", name: "reason", type: "text", value: b.reason || "", maxlength: 1000 });
    const notes = el("textarea", { id: "edit-notes", name: "notes", rows: 3, maxlength: 4000 });
    notes.value = b.notes || "";
    // No channels means every channel: all boxes ticked.
    const allChannels = !(b.channels || []).length;
    const chans = el(
      "fieldset",
      {},
      el("legend", {}, "Channels"),
      el(
        "div",
        { class: "choices" },
        me.channels.map((c) => checkbox(`edit-ch-${c}`, "channels", c, words(c), allChannels || b.channels.includes(c))),
      ),
    );
    const chosen = () => [...form.querySelectorAll("input[name=channels]:checked")].map((n) => n.value);
    const initialUntil = b.until ? localInput(b.until) : "";
    const until = el("input", { id: "edit-until", name: "until", type: "datetime-local", value: initialUntil, disabled: !b.until });
    const permanent = el("input", { type: "checkbox", id: "edit-permanent", name: "permanent", checked: !b.until });
    permanent.addEventListener("change", () => {
      until.disabled = permanent.checked;
    });
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
    const form = el(
      "form",
      { id: "edit-form", class: "panel", "aria-labelledby": "edit-title" },
      el("h3", { id: "edit-title" }, "Edit the block"),
      el("div", { class: "grid" }, field("edit-category", "Reason category", cat), field("edit-reason", "Reason", reason)),
      el("label", { for: "edit-notes" }, "Notes"),
      notes,
      chans,
      el(
        "div",
        { class: "grid" },
        field("edit-until", `Until (${zone})`, until),
        el("div", {}, el("label", { class: "choice", for: "edit-permanent" }, permanent, "Permanent")),
      ),
      el(
        "div",
        { class: "actions" },
        el("button", { type: "submit", id: "edit-save" }, "Save"),
        el("button", { type: "button", class: "secondary", onclick: close }, "Cancel"),
      ),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = {
        reason_category: cat.value,
        reason: reason.value.trim(),
        notes: notes.value.trim(),
      };
      const picked = chosen();
      if (!picked.length) {
        status("Choose at least one channel.", "error");
        return;
      }
      // Send the channels only when they changed (all ticked = as before when the block has none).
      const before = allChannels ? me.channels : b.channels;
      if (picked.length !== before.length || picked.some((c) => !before.includes(c))) body.channels = picked;
      if (permanent.checked) {
        if (b.until) body.until = "permanent";
      } else if (!until.value) {
        status("Choose the end of the block, or tick Permanent.", "error");
        until.setAttribute("aria-invalid", "true");
        until.focus();
        return;
      } else if (until.value !== initialUntil || !b.until) {
        const d = new Date(until.value); // datetime-local: the viewer's zone
        if (Number.isNaN(d.getTime())) {
          status("The end time is not a valid date and time.", "error");
          return;
        }
        body.until = d.toISOString().replace(/\.\d{3}Z$/, "Z");
      }
      if (body.until === "permanent" || (body.until && b.until && body.until < b.until)) {
        const ok = await confirmDialog(
          body.until === "permanent" ? "Make this block permanent?" : "End this block earlier than planned?",
          { confirmLabel: "Save", danger: false },
        );
        if (!ok.ok) return;
      }
      try {
        const nb = await api(`/v1/admin/blocks/${encodeURIComponent(b.id)}`, { method: "PATCH", token: ctx.token, body });
        redraw(nb, "Saved the changes to the block.");
      } catch (err) {
        markInvalid(form, err);
        fail(err);
      }
    });
    return form;
  }
}

/** "2026-01-05T11:00" in the viewer's zone, for a datetime-local input. */
function localInput(iso) {
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

// ---- IP and range bans ----------------------------------------------------------

export async function showBans(root, ctx) {
  const me = ctx.me;
  const isAdmin = atLeast(me?.role, "admin");
  const typeIP = el("input", { type: "radio", id: "ban-type-ip", name: "kind", value: "ip", checked: true });
  const typeRange = el("input", {
    type: "radio",
    id: "ban-type-range",
    name: "kind",
    value: "range",
    disabled: !isAdmin,
    "aria-describedby": isAdmin ? null : "ban-range-note",
  });
  const addrLabel = el("label", { for: "ban-address" }, "IP address");
  const address = el("input", { id: "ban-address", name: "ip", type: "text", required: true, autocomplete: "off", spellcheck: "false", placeholder: "198.51.100.7", "aria-describedby": "ban-address-hint" });
  const addrHint = el("p", { id: "ban-address-hint", class: "muted" }, "One IPv4 or IPv6 address.");
  const onType = () => {
    const range = typeRange.checked;
    addrLabel.textContent = range ? "Range" : "IP address";
    address.name = range ? "range" : "ip";
    address.placeholder = range ? "203.0.113.0/24" : "198.51.100.7";
    addrHint.textContent = range ? "A CIDR block such as 203.0.113.0/24, or start-end such as 203.0.113.10-203.0.113.20." : "One IPv4 or IPv6 address.";
  };
  typeIP.addEventListener("change", onType);
  typeRange.addEventListener("change", onType);
  const chans = el(
    "fieldset",
    {},
    el("legend", {}, "Channels"),
    el("div", { class: "choices" }, me.channels.map((c) => checkbox(`ban-ch-${c}`, "channels", c, words(c), c === "live_chat"))),
  );
  const per = periodField("ban", me, "1d");
  const cat = select("ban-category", "reason_category", [{ value: "", label: "Choose…" }, ...me.reason_categories.map((c) => ({ value: c, label: words(c) }))], "");
  cat.required = true;
  const notes = el("textarea", { id: "ban-notes", name: "notes", rows: 3, maxlength: 4000 });
  const allow = el("input", { type: "checkbox", id: "ban-allow", name: "allow" });
  const form = el(
    "form",
    { id: "ban-form", class: "panel", "aria-labelledby": "bans-title" },
    el(
      "fieldset",
      {},
      el("legend", {}, "Type"),
      el(
        "div",
        { class: "choices" },
        el("label", { class: "choice", for: "ban-type-ip" }, typeIP, "IP address"),
        el("label", { class: "choice", for: "ban-type-range" }, typeRange, "IP range (admin only)"),
      ),
      isAdmin ? null : el("p", { id: "ban-range-note", class: "muted" }, `Only an admin can ban a range of addresses; you are signed in as a ${me?.role}.`),
    ),
    addrLabel,
    address,
    addrHint,
    chans,
    el("div", { class: "grid" }, per.nodes, field("ban-category", "Reason category", cat)),
    el("label", { for: "ban-notes" }, "Notes (optional)"),
    notes,
    el("label", { class: "choice", for: "ban-allow" }, allow, "Allow: an exception, never block this address"),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "ban-submit" }, "Add ban")),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const kind = typeRange.checked ? "range" : "ip";
    const addr = address.value.trim();
    const { period, label } = per.read();
    const body = {
      kind,
      allow: allow.checked,
      channels: [...form.querySelectorAll("input[name=channels]:checked")].map((n) => n.value),
      period,
      reason_category: cat.value,
      notes: notes.value.trim(),
    };
    body[kind] = addr;
    if (!addr || !period || !body.reason_category || !body.channels.length) {
      status(
        !addr ? "Type the address or range." : !period ? "Type the number of minutes of the custom period." : !body.reason_category ? "Choose a reason category." : "Choose at least one channel.",
        "error",
      );
      return;
    }
    const what = kind === "range" ? `the range ${addr}` : `the address ${addr}`;
    const ok = await confirmDialog(
      allow.checked
        ? `Add an exception so that ${what} is never blocked on ${body.channels.map(words).join(", ")} for ${label}?`
        : `Ban ${what} on ${body.channels.map(words).join(", ")} for ${label}?`,
      { confirmLabel: allow.checked ? "Add exception" : "Add ban" },
    );
    if (!ok.ok) return;
    try {
      const b = await api("/v1/admin/blocks", { method: "POST", token: ctx.token, body });
      await ctx.go(`#block/${encodeURIComponent(b.id)}`, { keepStatus: true });
      status(allow.checked ? `Added the exception for ${what}.` : `Banned ${what}.`, "ok");
    } catch (err) {
      markInvalid(form, err);
      fail(err);
    }
  });
  replace(
    root,
    el("h2", { id: "bans-title" }, "Add an IP address or range ban"),
    form,
  );
}
