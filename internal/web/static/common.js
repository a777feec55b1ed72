// Shared helpers of the chatflow pages: the API client, the staff
// session, DOM building, dates, dialogs and the status line. No framework:
// every page imports what it needs from here.

/** An error answer of the API (RFC 9457 problem+json). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || `HTTP ${status}`;
    this.detail = problem.detail || "";
    // errors: [{field, message}] for field problems.
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
  /** One line for people: the title and what was wrong. */
  describe() {
    if (this.errors.length) {
      return `${this.title}: ${this.errors.map((e) => `${e.field}: ${e.message}`).join("; ")}`;
    }
    return this.detail ? `${this.title}: ${this.detail}` : this.title;
  }
}

/**
 * Calls the JSON API. body (an object) is sent as JSON; token, when set,
 * as the bearer token. Resolves to the decoded JSON (or the text for
 * non-JSON answers); rejects with ApiError on a 4xx/5xx and with a
 * TypeError when the server cannot be reached.
 */
export async function api(path, { method = "GET", body, token, signal, key } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  if (key) headers["Idempotency-Key"] = key;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
    cache: "no-store",
  });
  const type = res.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await res.json().catch(() => ({})) : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof data === "object" ? data : { title: data });
  return data;
}

/** A random idempotency key for one message. */
export function newKey() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// ---- staff session -------------------------------------------------------

const TOKEN_KEY = "chatflow.staff.token";

/**
 * The signed-in staff member of this tab: the token lives in
 * sessionStorage (gone when the tab closes, never shared with other
 * tabs or sent anywhere but this origin's API).
 */
export const session = {
  token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  },
  /** Checks token with GET /v1/me and keeps it; resolves to the profile. */
  async signIn(token) {
    const me = await api("/v1/me", { token });
    sessionStorage.setItem(TOKEN_KEY, token);
    return me;
  },
  /** The profile of the kept token, or null when there is none or it is refused. */
  async current() {
    const token = this.token();
    if (!token) return null;
    try {
      return await api("/v1/me", { token });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        this.signOut();
        return null;
      }
      throw e;
    }
  },
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/**
 * On a server in demo mode (GET /v1/demo answers 200), fills container
 * with one "Sign in as NAME (role)" button per demo staff member, which
 * calls signIn(token), and shows panel. Elsewhere (404) it does nothing.
 */
export async function offerDemoStaff(container, panel, signIn) {
  let demo;
  try {
    demo = await api("/v1/demo");
  } catch {
    return; // 404: not a demo server
  }
  const staff = Array.isArray(demo?.staff) ? demo.staff : [];
  if (!staff.length) return;
  replace(
    container,
    staff.map((s) =>
      el(
        "button",
        { type: "button", class: "secondary", dataset: { role: s.role, email: s.email }, onclick: () => signIn(s.token) },
        `Sign in as ${s.name} (${s.role})`,
      ),
    ),
  );
  panel.hidden = false;
}

/** The rank of a role, to compare with atLeast. */
const RANK = { agent: 1, supervisor: 2, admin: 3 };

/** Whether role is at least min (agent < supervisor < admin). */
export function atLeast(role, min) {
  return (RANK[role] || 0) >= RANK[min];
}

// ---- DOM -------------------------------------------------------------------

/**
 * Builds an element: el("button", {type: "button", onclick: f}, "Save").
 * Attributes starting with "on" become listeners; class, for, dataset and
 * boolean attributes are handled; children may be strings (text, never
 * HTML), nodes, arrays, or null/false (skipped).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "for") node.htmlFor = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "value") node.value = v;
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/**
 * A table in a horizontally scrolling wrapper (narrow screens): attrs
 * are the <table>'s (id, aria-labelledby or aria-label), cols the column
 * headings, rows the <tr> elements.
 */
export function dataTable(attrs, cols, rows) {
  return el(
    "div",
    { class: "table-wrap" },
    el("table", attrs, el("thead", {}, el("tr", {}, cols.map((c) => el("th", { scope: "col" }, c)))), el("tbody", {}, rows)),
  );
}

/** Replaces the children of node. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** document.getElementById, failing loudly when the page lacks the id. */
export function $(id) {
  const n = document.getElementById(id);
  if (!n) throw new Error(`page has no #${id}`);
  return n;
}

/** A readable label of an API value: "abusive_language" → "Abusive language"; "" → "—". */
export function words(s) {
  if (!s) return "—";
  const t = String(s).replace(/_/g, " ");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

// ---- dates -----------------------------------------------------------------

const localFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * A <time> element for an RFC 3339 instant: the viewer's local date and
 * time, with the UTC instant on hover (title) and in datetime. null or ""
 * gives the text of whenMissing.
 */
export function timeEl(iso, whenMissing = "—") {
  if (!iso) return document.createTextNode(whenMissing);
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return document.createTextNode(iso);
  const utc = d.toISOString().replace(/\.\d{3}Z$/, "Z").replace("T", " ").replace("Z", " UTC");
  return el("time", { datetime: d.toISOString(), title: utc }, localFmt.format(d));
}

/** "2 d 3 h", "5 min", "40 s" for a number of seconds. */
export function duration(seconds) {
  let s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  if (d > 0) return h ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

// ---- feedback --------------------------------------------------------------

/**
 * Shows text in the page's status line (#status, an aria-live region);
 * kind is "ok", "error" or "info". Errors stay until the next message.
 */
export function status(text, kind = "info") {
  const n = document.getElementById("status");
  if (!n) return;
  n.textContent = text;
  n.dataset.kind = kind;
}

/** Reports an error of an action in the status line and returns it. */
export function fail(err) {
  const text = err instanceof ApiError ? err.describe() : `Cannot reach the server (${err.message})`;
  status(text, "error");
  return err;
}

/**
 * Asks for confirmation in a modal <dialog> (focus moves into it, Escape
 * cancels). With notes: true it has a notes field. Resolves to
 * {ok: true, notes} or {ok: false}.
 */
export function confirmDialog(message, { confirmLabel = "Confirm", notes = false, notesLabel = "Notes (optional)", danger = true } = {}) {
  return new Promise((resolve) => {
    const id = `confirm-notes-${Math.random().toString(36).slice(2)}`;
    const notesField = notes ? el("textarea", { id, name: "notes", rows: 3, maxlength: 4000 }) : null;
    const dlg = el(
      "dialog",
      { class: "confirm", "aria-labelledby": `${id}-title` },
      el(
        "form",
        { method: "dialog" },
        el("h2", { id: `${id}-title` }, "Please confirm"),
        el("p", {}, message),
        notes ? el("label", { for: id }, notesLabel) : null,
        notesField,
        el(
          "div",
          { class: "actions" },
          el("button", { type: "submit", value: "cancel", class: "secondary" }, "Cancel"),
          el("button", { type: "submit", value: "ok", class: danger ? "danger" : "" }, confirmLabel),
        ),
      ),
    );
    dlg.addEventListener("close", () => {
      const ok = dlg.returnValue === "ok";
      const text = notesField ? notesField.value.trim() : "";
      dlg.remove();
      resolve(ok ? { ok: true, notes: text } : { ok: false });
    });
    document.body.append(dlg);
    dlg.showModal();
    (notesField || dlg.querySelector("button[value=cancel]")).focus();
  });
}

