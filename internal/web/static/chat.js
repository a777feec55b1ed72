// The visitor chat (/chat): start a conversation — as a guest, through
// the demo sign-in, or as the user of a host site's token given in the
// fragment (/chat#user_token=…) or by the widget (set_user_token) — talk
// to the bot and, when asked, to an agent. The conversation id is kept in
// localStorage so a reload resumes it; agent messages and state changes
// come from the conversation's server-sent event stream.
//
// Every visitor-facing string comes from the message catalog of the
// visitor's language (GET /v1/widget: the host's data-lang, else the
// browser's Accept-Language). Embedded by widget.js (/chat?embed=1), the
// page talks to the host page with postMessage; see widget.js.
import { api, ApiError, el, replace, $, timeEl, status, newKey } from "/static/common.js";

const STORE_KEY = "chatflow.chat.conversation";
const USER_KEY = "chatflow.chat.user";

const params = new URLSearchParams(location.search);
/** Embedded by widget.js: the host page's origin, else "". */
const embed = params.get("embed") === "1" ? hostOrigin() : "";
/** Whether the widget is open on the host page (always, when not embedded). */
let open = !embed;
/** Messages of the bot and the agent that arrived while the widget was closed. */
let unread = 0;

/** The widget's settings of GET /v1/widget: language, catalog, looks. */
let widget = { lang: "en", dir: "ltr", messages: {}, blocked_text: "" };

/** The text of key in the visitor's language, with {name} replaced from vars. */
function t(key, vars = {}) {
  const text = widget.messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** The origin of the page that frames this one (widget.js gives it as host). */
function hostOrigin() {
  const anc = location.ancestorOrigins;
  if (anc && anc.length) return anc[0];
  try {
    return new URL(params.get("host") || "").origin;
  } catch {
    return "";
  }
}

/** Tells the host page (widget.js) something; nothing when not embedded. */
function tellHost(type, data = {}) {
  if (embed && window.parent !== window) window.parent.postMessage({ chatflow: 1, type, ...data }, embed);
}

const ui = {
  brandName: $("brand-name"),
  brandLogo: $("brand-logo"),
  close: $("close-widget"),
  loading: $("loading"),
  start: $("start"),
  guest: $("start-guest"),
  demoForm: $("demo-form"),
  demoUser: $("demo-user"),
  demoName: $("demo-name"),
  demoSubmit: $("demo-submit"),
  chat: $("chat"),
  transcript: $("transcript"),
  state: $("chat-state"),
  blocked: $("blocked-notice"),
  ended: $("ended"),
  endedText: $("ended-text"),
  newChat: $("new-chat"),
  composer: $("composer"),
  input: $("message"),
  send: $("send"),
  status: $("status"),
  main: $("main"),
};

/** What the page knows of the current conversation. */
const chat = {
  id: "", // the conversation id; "" when there is none
  state: "bot", // the last state of the event stream
  resuming: false, // the page resumed a stored conversation and has no state yet
  sending: false, // a message is on its way
  pending: null, // {text, key}: the message being sent, kept until it succeeds
  stream: null, // the EventSource
  retry: 0, // the timer of a stream reconnection
  shown: new Set(), // "at|from|text" of the server messages in the transcript
  local: [], // {from, text, li}: messages shown from POST answers, not yet matched with the server's
  reading: null, // a promise while the transcript is being read
  readAfterSend: false, // a read was asked for while a send was on its way
  queued: [], // agent messages that arrived while the transcript was being read
};

// ---- storage -----------------------------------------------------------------

function storedId() {
  try {
    return localStorage.getItem(STORE_KEY) || "";
  } catch {
    return "";
  }
}

function remember(id, subject = "") {
  try {
    localStorage.setItem(STORE_KEY, id);
    localStorage.setItem(USER_KEY, subject);
  } catch {
    // Private mode without storage: the chat works, a reload forgets it.
  }
}

function storedSubject() {
  try {
    return localStorage.getItem(USER_KEY) || "";
  } catch {
    return "";
  }
}

function forget() {
  try {
    localStorage.removeItem(STORE_KEY);
    localStorage.removeItem(USER_KEY);
  } catch {
    // nothing kept
  }
}

// ---- panels ------------------------------------------------------------------

/** Shows the start panel (no current conversation). */
function showStart() {
  closeStream();
  chat.id = "";
  chat.pending = null;
  ui.loading.hidden = true;
  ui.chat.hidden = true;
  ui.start.hidden = false;
  ui.start.before(ui.status); // messages about starting above the panel
  setStartBusy(false);
  checkDemo();
}

/** Shows the conversation panel with an empty transcript. */
function showChat() {
  ui.loading.hidden = true;
  ui.start.hidden = true;
  ui.chat.hidden = false;
  ui.composer.after(ui.status); // messages about sending next to the composer
  replace(ui.transcript);
  chat.shown.clear();
  chat.local = [];
  chat.state = "bot";
  ui.state.textContent = "";
  ui.blocked.hidden = true;
  ui.blocked.textContent = "";
  ui.ended.hidden = true;
  updateComposer();
}

function setStartBusy(busy) {
  ui.guest.disabled = busy;
  ui.demoSubmit.disabled = busy;
}

let demoChecked = false;

/** Offers the demo sign-in when the server runs in demo mode with visitor tokens. */
async function checkDemo() {
  if (demoChecked) return;
  demoChecked = true;
  try {
    const demo = await api("/v1/demo");
    ui.demoForm.hidden = embed !== "" || !(demo && demo.visitor_tokens === true);
  } catch {
    // 404: not a demo server. Any other failure: simply no demo sign-in.
    ui.demoForm.hidden = true;
  }
}

// ---- transcript ----------------------------------------------------------------

const WHO = { user: "who_user", bot: "who_bot", agent: "who_agent" };

const keyOf = (m) => `${m.at}|${m.from}|${m.text}`;

/** Appends a message to the transcript and returns its <li>. */
function appendMessage(m) {
  const from = WHO[m.from] ? m.from : "system";
  const li = el(
    "li",
    { class: `from-${from}` },
    el("span", { class: "who" }, t(WHO[m.from] || "who_system"), " · ", timeEl(m.at)),
    el("span", { class: "text" }, m.text),
  );
  ui.transcript.append(li);
  keepInView();
  if (!open && m.from !== "user") {
    unread++;
    tellHost("unread", { count: unread });
  }
  return li;
}

/**
 * Adds a message of the server (from GET messages or the event stream):
 * once, and as the message the page already showed from a POST answer
 * when there is one (it then gets the server's time).
 */
function addMessage(m) {
  const key = keyOf(m);
  if (chat.shown.has(key)) return;
  chat.shown.add(key);
  const i = chat.local.findIndex((l) => l.from === m.from && l.text === m.text);
  if (i < 0) {
    appendMessage(m);
    return;
  }
  const [l] = chat.local.splice(i, 1);
  const when = l.li.querySelector(".who time");
  if (when) when.replaceWith(timeEl(m.at));
}

/** Adds what the page itself sent or received now (no server time yet). */
function addLocal(from, text) {
  const li = appendMessage({ at: new Date().toISOString(), from, text });
  chat.local.push({ from, text, li });
}

/** Keeps the newest message and the composer on screen. */
function keepInView() {
  const last = ui.transcript.lastElementChild;
  if (last && typeof last.scrollIntoView === "function") last.scrollIntoView({ block: "nearest" });
  if (!ui.composer.hidden) ui.composer.scrollIntoView({ block: "nearest" });
}

/** An agent message of the event stream. */
function onAgentMessage(m) {
  if (chat.reading) chat.queued.push(m);
  else addMessage(m);
}

/**
 * Reads the transcript of the server and adds what the page does not show
 * yet: all of it after a reload, then what was written outside the page's
 * own sends (the bot's words when the agent leaves, agent messages while
 * the stream was reconnecting, what another tab sent). Reads wait for a
 * send on its way, and a send waits for a read, so an answer is never
 * shown twice. Resolves to false when the conversation no longer exists.
 */
function readTranscript(id) {
  if (chat.sending) {
    chat.readAfterSend = true;
    return Promise.resolve(true);
  }
  if (chat.reading) return chat.reading.then(() => readTranscript(id));
  const read = (async () => {
    try {
      const data = await api(`/v1/conversations/${encodeURIComponent(id)}/messages`);
      if (id === chat.id) (data.messages || []).forEach(addMessage);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return false;
      throw err;
    } finally {
      chat.reading = null;
      const queued = chat.queued;
      chat.queued = [];
      if (id === chat.id) queued.forEach(addMessage);
    }
  })();
  chat.reading = read.catch(() => true);
  return read;
}

/** Reads the transcript in the background (a failure waits for the next occasion). */
function refresh() {
  const id = chat.id;
  if (!id) return;
  readTranscript(id).then(
    (exists) => {
      if (!exists && id === chat.id) gone();
    },
    () => {},
  );
}

// ---- states ----------------------------------------------------------------------

const STATE_TEXT = {
  queued: "state_queued",
  agent_joined: "state_agent_joined",
  agent_left: "state_agent_left",
};

/** Applies a "state" event of the stream. */
function onState(ev) {
  const st = ev.state;
  const wasResuming = chat.resuming;
  chat.resuming = false;
  const before = chat.state;
  chat.state = st;
  if (st === "ended") {
    closeStream();
    if (wasResuming) {
      // A stored conversation that ended meanwhile: start afresh.
      forget();
      showStart();
      status(t("previous_ended"), "info");
      return;
    }
    const hadFocus = ui.composer.contains(document.activeElement);
    ui.state.textContent = "";
    ui.blocked.hidden = true;
    ui.ended.hidden = false;
    updateComposer();
    if (hadFocus) ui.newChat.focus();
    return;
  }
  ui.ended.hidden = true;
  if (st === "blocked") {
    // Only the neutral text of the server: never a reason or anything else.
    const hadFocus = ui.composer.contains(document.activeElement);
    ui.state.textContent = "";
    // The configured text in the visitor's language, else the stream's.
    ui.blocked.textContent = widget.blocked_text || ev.text || "";
    ui.blocked.hidden = false;
    status("");
    updateComposer();
    if (hadFocus) ui.blocked.focus(); // the composer is disabled: read the notice out
    return;
  }
  ui.blocked.hidden = true;
  ui.blocked.textContent = "";
  if (st in STATE_TEXT) ui.state.textContent = t(STATE_TEXT[st]);
  else if (!(st === "bot" && before === "agent_left")) ui.state.textContent = "";
  updateComposer();
}

/** Whether the visitor may write in the current state. */
function canWrite() {
  return chat.id !== "" && chat.state !== "blocked" && chat.state !== "ended";
}

function updateComposer() {
  const open = canWrite();
  ui.input.disabled = !open;
  ui.send.disabled = !open || chat.sending;
  ui.composer.setAttribute("aria-busy", chat.sending ? "true" : "false");
}

// ---- event stream ------------------------------------------------------------------

function closeStream() {
  clearTimeout(chat.retry);
  chat.retry = 0;
  if (chat.stream) {
    chat.stream.close();
    chat.stream = null;
  }
}

/**
 * Follows the event stream of the current conversation: its state
 * events (the first one after each connect re-applies the state, e.g. a
 * block after a reload) and the agent's messages.
 */
function follow() {
  closeStream();
  const id = chat.id;
  const es = new EventSource(`/v1/conversations/${encodeURIComponent(id)}/events`);
  chat.stream = es;
  let first = true;
  // Each (re)connect reads what was written while the page was not listening.
  es.addEventListener("open", () => {
    first = true;
    if (es === chat.stream) refresh();
  });
  es.addEventListener("state", (e) => {
    if (es !== chat.stream) return;
    onState(parse(e.data));
    // A change may come with the bot's words (e.g. when the agent leaves).
    if (!first && chat.state !== "ended") refresh();
    first = false;
  });
  es.addEventListener("transcript", () => {
    // The bot said something outside the page's sends (an agent's warning).
    if (es === chat.stream) refresh();
  });
  es.addEventListener("message", (e) => {
    if (es !== chat.stream) return;
    const m = parse(e.data);
    if (m.text) onAgentMessage({ at: m.at, from: m.from || "agent", text: m.text });
  });
  es.addEventListener("error", () => {
    if (es !== chat.stream || es.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    // Refused (e.g. the conversation is gone) or not a stream: check, then try again later.
    chat.stream = null;
    chat.retry = setTimeout(() => resume(id, { quiet: true }), 3000);
  });
}

function parse(data) {
  try {
    return JSON.parse(data) || {};
  } catch {
    return {};
  }
}

/** The stored conversation no longer exists. */
function gone() {
  forget();
  showStart();
  status(t("previous_gone"), "info");
}

// ---- starting and resuming --------------------------------------------------------

/** Starts a conversation, anonymous or as the user of userToken. */
async function start(userToken) {
  setStartBusy(true);
  status(t(userToken ? "signing_in" : "starting"));
  try {
    const body = { channel: "live_chat", lang: widget.lang };
    if (userToken) body.user_token = userToken;
    const res = await api("/v1/conversations", { method: "POST", body });
    remember(res.id, tokenSubject(userToken));
    chat.id = res.id;
    chat.resuming = false;
    showChat();
    for (const text of res.replies || []) addLocal("bot", text);
    status("");
    follow();
    if (open) ui.input.focus();
  } catch (err) {
    showStart();
    if (err instanceof ApiError && err.status === 401) {
      status(t(/expired/i.test(err.detail) ? "sign_in_expired" : "sign_in_invalid"), "error");
    } else if (err instanceof ApiError && err.status === 429) {
      status(t("too_many_chats"), "info");
    } else {
      fail(err);
    }
  }
}

/** Resumes a stored conversation: its transcript, then its event stream. */
async function resume(id, { quiet = false } = {}) {
  chat.id = id;
  if (!quiet) {
    showChat();
    status("");
  }
  try {
    // A quiet resume (after the stream failed) keeps what is on screen.
    const exists = await readTranscript(id);
    if (!exists) {
      gone();
      return;
    }
  } catch (err) {
    if (quiet) {
      chat.retry = setTimeout(() => resume(id, { quiet: true }), 5000);
      return;
    }
    fail(err);
  }
  if (id !== chat.id) return;
  chat.resuming = !quiet;
  follow();
  if (!quiet && open && canWrite()) ui.input.focus();
}

// ---- sending -------------------------------------------------------------------------

async function send(ev) {
  ev.preventDefault();
  const text = ui.input.value.trim();
  if (!text || chat.sending || !canWrite()) return;
  // The same message keeps its key until it is sent, so a retry after a
  // lost answer is not taken twice.
  if (!chat.pending || chat.pending.text !== text) chat.pending = { text, key: newKey() };
  const { key } = chat.pending;
  const id = chat.id;
  chat.sending = true; // transcript reads now wait for this send
  updateComposer();
  status(t("sending"));
  try {
    if (chat.reading) await chat.reading; // and this send waits for a read on its way
    const res = await api(`/v1/conversations/${encodeURIComponent(id)}/messages`, {
      method: "POST",
      body: { text, idempotency_key: key },
    });
    if (id !== chat.id) return;
    chat.pending = null;
    if (ui.input.value.trim() === text) ui.input.value = "";
    if (res.duplicate) {
      // The server had taken it (its answer was lost): show what it stored.
      chat.readAfterSend = true;
    } else {
      addLocal("user", text);
      for (const r of res.replies || []) addLocal("bot", r);
    }
    status("");
  } catch (err) {
    if (id !== chat.id) return;
    // The text stays in the box: nothing typed is lost.
    if (err instanceof ApiError && err.status === 409) {
      onState({ state: "ended" });
      status(t("send_ended"), "error");
    } else if (err instanceof ApiError && err.status === 404) {
      status(t("send_gone"), "error");
    } else if (err instanceof ApiError && err.status === 429) {
      // Automatic moderation's rate limit: a neutral notice, the text stays.
      status(t("slow_down"), "info");
    } else if (err instanceof ApiError) {
      status(t("send_failed", { detail: err.describe() }), "error");
    } else {
      status(t("send_offline"), "error");
    }
  } finally {
    chat.sending = false;
    updateComposer();
    if (chat.readAfterSend) {
      chat.readAfterSend = false;
      refresh();
    }
    if (canWrite() && document.activeElement === document.body) ui.input.focus();
  }
}

// ---- wiring ----------------------------------------------------------------------------

ui.guest.addEventListener("click", () => start(""));

ui.demoForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const userId = ui.demoUser.value.trim();
  const name = ui.demoName.value.trim();
  const missing = !userId ? ui.demoUser : !name ? ui.demoName : null;
  ui.demoUser.setAttribute("aria-invalid", userId ? "false" : "true");
  ui.demoName.setAttribute("aria-invalid", name ? "false" : "true");
  if (missing) {
    status(t(!userId ? "demo_need_user" : "demo_need_name"), "error");
    missing.focus();
    return;
  }
  setStartBusy(true);
  status("Signing you in…");
  let token;
  try {
    const res = await api("/v1/demo/visitor-token", { method: "POST", body: { user_id: userId, name } });
    token = res.user_token;
  } catch (err) {
    setStartBusy(false);
    fail(err);
    const fields = err instanceof ApiError ? err.errors.map((f) => f.field) : [];
    const bad = fields.includes("user_id") ? ui.demoUser : fields.includes("name") ? ui.demoName : null;
    if (bad) {
      bad.setAttribute("aria-invalid", "true");
      bad.focus();
    }
    return;
  }
  await start(token);
});

ui.composer.addEventListener("submit", send);

ui.newChat.addEventListener("click", () => {
  forget();
  showStart();
  status("");
  ui.guest.focus();
});

/** The user token a host site passed in the fragment, removed from the address. */
function tokenFromFragment() {
  if (!location.hash) return "";
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("user_token") || "";
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

/** Reports an error of an action in the status line, in the visitor's language. */
function fail(err) {
  status(err instanceof ApiError ? t("error", { detail: err.describe() }) : t("offline"), "error");
  return err;
}

/**
 * The sub claim of a JWT user token, read without verifying it (the
 * server verifies): it tells whether a stored conversation belongs to the
 * user the host names now. "" for anything else.
 */
function tokenSubject(token) {
  try {
    const part = (token || "").split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
    return typeof claims.sub === "string" ? claims.sub : "";
  } catch {
    return "";
  }
}

/**
 * Starts as the user of token unless the stored conversation is already
 * theirs (a host page passes the token on every page view).
 */
function signIn(token) {
  const sub = tokenSubject(token);
  const id = storedId();
  if (id && sub && storedSubject() === sub) {
    if (id !== chat.id) resume(id);
    return;
  }
  forget();
  ui.loading.hidden = true;
  start(token);
}

/** Opens or closes the embedded widget (messages of widget.js). */
function setOpen(value) {
  open = value;
  if (!open) return;
  unread = 0;
  tellHost("unread", { count: 0 });
  const target = !ui.chat.hidden && canWrite() ? ui.input : !ui.start.hidden ? ui.guest : ui.main;
  target.focus();
}

/** Messages of the host page's widget.js: open, close, set_user_token. */
function onHostMessage(ev) {
  if (!embed || ev.source !== window.parent || ev.origin !== embed) return;
  const m = ev.data || {};
  if (m.chatflow !== 1) return;
  if (m.type === "open") setOpen(true);
  else if (m.type === "close") setOpen(false);
  else if (m.type === "set_user_token" && typeof m.token === "string" && m.token) signIn(m.token);
}

/** Contrast ratio of two #rrggbb colours (WCAG 2). */
function contrast(a, b) {
  const lum = (hex) => {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** Applies the language, the texts and the looks of GET /v1/widget. */
function applyWidget() {
  const root = document.documentElement;
  root.lang = widget.lang;
  root.dir = widget.dir === "rtl" ? "rtl" : "ltr";
  const theme = params.get("theme");
  if (theme === "dark" || theme === "light") root.dataset.theme = theme;
  if (embed) root.classList.add("embedded");
  for (const n of document.querySelectorAll("[data-i18n]")) n.textContent = t(n.dataset.i18n);
  for (const n of document.querySelectorAll("[data-i18n-label]")) n.setAttribute("aria-label", t(n.dataset.i18nLabel));
  const brand = widget.brand_name || "chatflow";
  ui.brandName.textContent = brand;
  document.title = `${t("page_title")} · ${brand}`;
  if (widget.logo_url) {
    ui.brandLogo.src = widget.logo_url;
    ui.brandLogo.hidden = false;
  }
  const color = widget.primary_color;
  if (/^#[0-9a-f]{6}$/i.test(color || "")) {
    // The brand colour with black or white text, whichever contrasts more.
    root.style.setProperty("--accent", color);
    root.style.setProperty("--accent-text", contrast(color, "#ffffff") >= contrast(color, "#000000") ? "#ffffff" : "#000000");
  }
  ui.close.hidden = !embed;
}

async function init() {
  try {
    const q = new URLSearchParams();
    if (params.get("lang")) q.set("lang", params.get("lang"));
    widget = { ...widget, ...(await api(`/v1/widget?${q}`)) };
  } catch {
    // An older server or none: the page's own English texts stay.
  }
  applyWidget();
  window.addEventListener("message", onHostMessage);
  ui.close.addEventListener("click", () => tellHost("close"));
  if (embed) {
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && open && !ev.defaultPrevented) tellHost("close");
    });
  }
  tellHost("ready", {
    lang: widget.lang,
    dir: widget.dir,
    primary_color: widget.primary_color || "",
    texts: { launcher: t("launcher"), launcher_unread: t("launcher_unread"), frame_title: t("frame_title"), close: t("close") },
  });
  const token = tokenFromFragment();
  if (token) {
    // The host site names the user: a new conversation as them (or theirs).
    signIn(token);
    return;
  }
  const id = storedId();
  if (id) resume(id);
  else showStart();
}

init();
