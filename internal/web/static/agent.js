// Agent console: sign in (token or demo account), the waiting queues
// (refreshed every 2 s), take the next visitor, chat live (the open chats
// are polled every second and survive a reload of the tab), and leave a
// chat with the feedback form: block the visitor from live chat or not.
//
// API: GET /v1/me, GET /v1/demo, GET /v1/agent/queues,
// GET /v1/agent/queues/{queue}, POST /v1/agent/queues/{queue}/take,
// GET /v1/agent/conversations/{id}, POST .../{id}/messages,
// POST .../{id}/disconnect.

import { ApiError, api, el, replace, $, session, status, fail, duration, confirmDialog, offerDemoStaff, words, newKey } from "/static/common.js";

// ---- state -------------------------------------------------------------------

/** The signed-in profile (GET /v1/me), or null. */
let me = null;

const CHATS_KEY = "chatflow.agent.chats";

/**
 * The open chats by conversation id: {id, queue, messages (shown so
 * far), info (the last GET answer), ended (text when over), unread}.
 */
const chats = new Map();
/** The id of the chat shown in the chat panel, or "". */
let active = "";



function saveChats() {
  sessionStorage.setItem(CHATS_KEY, JSON.stringify([...chats.keys()]));
}

function savedChats() {
  try {
    const ids = JSON.parse(sessionStorage.getItem(CHATS_KEY) || "[]");
    return Array.isArray(ids) ? ids.filter((x) => typeof x === "string" && x) : [];
  } catch {
    return [];
  }
}

/** A conversation id as people see it: its start (the whole id on hover). */
function shortId(id) {
  return id.length > 10 ? `${id.slice(0, 8)}…` : id;
}

/** Handles an error of a request: a refused token signs out. */
function problem(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut("Your session has ended: sign in again.");
    return;
  }
  fail(err);
}

// ---- polling -----------------------------------------------------------------

/** Timers of the queue and chat polls; cleared on sign-out. */
const timers = { queues: 0, chats: 0 };
/** Bumped on sign-in and sign-out: a late answer of an old session is dropped. */
let epoch = 0;

/**
 * The poll intervals in ms: the open chats every second, the queues every
 * two. localStorage "chatflow.poll_ms" (a number, at least 50) replaces the
 * chats' interval, the queues' being twice it: the browser tests set it so
 * that they wait on the server's answers, not on the console's clock.
 */
const poll = (() => {
  let ms = 1000;
  try {
    const v = Number(localStorage.getItem("chatflow.poll_ms"));
    if (Number.isFinite(v) && v >= 50) ms = Math.min(v, 60000);
  } catch {
    // no storage (e.g. blocked by the browser's settings): the defaults
  }
  return { chats: ms, queues: 2 * ms };
})();

function stopPolling() {
  clearTimeout(timers.queues);
  clearTimeout(timers.chats);
  timers.queues = timers.chats = 0;
}

// Each poll schedules the next one when it is done (no overlap); a poll
// of an ended session does not go on.
function scheduleQueues() {
  const n = epoch;
  clearTimeout(timers.queues);
  timers.queues = setTimeout(() => refreshQueues().finally(() => n === epoch && scheduleQueues()), poll.queues);
}

function scheduleChats() {
  const n = epoch;
  clearTimeout(timers.chats);
  timers.chats = setTimeout(() => pollChats().finally(() => n === epoch && scheduleChats()), poll.chats);
}

// ---- queues ------------------------------------------------------------------

/** The DOM of each queue by name: {root, count, take, list}. */
const queueNodes = new Map();
/** Whether the last queue refresh failed (reported once, not every 2 s). */
let queuesFailing = false;
let refreshing = null;

/** Reloads the queues and their waiting lists; resolves when drawn. */
function refreshQueues() {
  if (!refreshing || refreshing.epoch !== epoch) {
    const p = loadQueues().finally(() => {
      if (refreshing === p) refreshing = null;
    });
    p.epoch = epoch;
    refreshing = p;
  }
  return refreshing;
}

async function loadQueues() {
  if (!me) return;
  const n = epoch;
  const token = session.token();
  try {
    let names;
    try {
      const all = await api("/v1/agent/queues", { token });
      names = (all.queues || []).map((q) => q.name);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
      names = Array.isArray(me.queues) ? me.queues : [];
    }
    const lists = await Promise.all(
      names.map((q) => api(`/v1/agent/queues/${encodeURIComponent(q)}`, { token })),
    );
    if (n !== epoch) return;
    drawQueues(lists.map((l, i) => ({ name: names[i], waiting: Array.isArray(l.waiting) ? l.waiting : [] })));
    if (queuesFailing) status("The queues are up to date again.", "info");
    queuesFailing = false;
    $("queues-updated").textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${poll.queues / 1000} seconds.`;
  } catch (err) {
    if (n !== epoch) return;
    if (err instanceof ApiError && err.status === 401) return problem(err);
    if (!queuesFailing) fail(err);
    queuesFailing = true;
  }
}

/** Draws the queues, updating nodes in place so focus is kept. */
function drawQueues(queues) {
  const root = $("queue-list");
  if (!queues.length) {
    queueNodes.clear();
    replace(root, el("p", { class: "muted" }, "No queues are configured."));
    return;
  }
  if (!root.querySelector(".queue")) replace(root);
  const seen = new Set();
  for (const q of queues) {
    seen.add(q.name);
    let node = queueNodes.get(q.name);
    if (!node) {
      const headId = `queue-${q.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
      node = {
        count: el("span", { class: "badge" }),
        take: el("button", { type: "button", class: "take", "aria-describedby": headId, onclick: () => take(q.name) }, "Take next"),
        list: el("ul", { class: "waiting-list", "aria-label": `Waiting in ${q.name}` }),
      };
      node.root = el(
        "section",
        { class: "queue", dataset: { queue: q.name }, "aria-labelledby": headId },
        el("div", { class: "queue-head" }, el("h3", { id: headId }, q.name, " ", node.count), node.take),
        node.list,
      );
      queueNodes.set(q.name, node);
      root.append(node.root);
    }
    const n = q.waiting.length;
    node.count.textContent = `${n} waiting`;
    node.root.dataset.waiting = String(n);
    node.take.disabled = n === 0 || node.busy === true;
    replace(
      node.list,
      n === 0
        ? el("li", { class: "muted" }, "No one is waiting.")
        : q.waiting.map((w) =>
            el(
              "li",
              { dataset: { conversation: w.conversation_id } },
              el("span", {}, "Visitor ", el("code", { title: w.conversation_id }, shortId(w.conversation_id))),
              el("span", { class: "muted" }, `waiting ${duration(w.waiting_seconds || 0)}`),
            ),
          ),
    );
  }
  for (const [name, node] of queueNodes) {
    if (!seen.has(name)) {
      node.root.remove();
      queueNodes.delete(name);
    }
  }
}

/** Takes the next visitor of queue and opens the chat. */
async function take(queue) {
  const node = queueNodes.get(queue);
  if (node) {
    node.busy = true;
    node.take.disabled = true;
  }
  status(`Taking the next visitor from ${queue}…`);
  try {
    const c = await api(`/v1/agent/queues/${encodeURIComponent(queue)}/take`, { method: "POST", token: session.token() });
    openChat(c.id, { queue, messages: c.messages || [] });
    status(`You are now chatting with visitor ${shortId(c.id)} from ${queue}.`, "ok");
    $("message").focus();
    pollChat(c.id);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) status(`No one is waiting in ${queue} any more.`, "info");
    else problem(err);
  } finally {
    if (node) node.busy = false;
    await refreshQueues();
  }
}

// ---- chats -------------------------------------------------------------------

/** Adds (or shows) the chat of conversation id. */
function openChat(id, { queue = "", messages = null, info = null } = {}) {
  let c = chats.get(id);
  if (!c) {
    c = { id, queue, messages: [], info: null, ended: "", unread: 0 };
    chats.set(id, c);
    saveChats();
  }
  if (messages) c.messages = messages;
  if (info) applyInfo(c, info);
  showChat(id);
}

/** Records a GET /v1/agent/conversations/{id} answer in c. */
function applyInfo(c, info) {
  c.info = info;
  const msgs = Array.isArray(info.messages) ? info.messages : [];
  if (msgs.length > c.messages.length) {
    if (c.id !== active) c.unread += msgs.slice(c.messages.length).filter((m) => m.from === "user").length;
    c.messages = msgs;
  }
  if (info.state === "ended") c.ended ||= "This chat has ended.";
  else if (info.state === "blocked") c.ended ||= "The visitor is blocked from live chat: this chat has ended.";
  else if (info.state === "bot" || info.state === "queued") c.ended ||= "You are no longer connected to this chat.";
}

/** Shows chat id in the chat panel (or the empty panel for ""). */
function showChat(id) {
  active = chats.has(id) ? id : "";
  const c = chats.get(active);
  if (c) c.unread = 0;
  drawSwitch();
  $("chat-empty").hidden = !!c;
  $("chat-body").hidden = !c;
  replace($("transcript"));
  $("transcript").dataset.count = "0";
  if (!c) {
    $("chat-title").textContent = "No chat open";
    return;
  }
  $("message").value = c.draft || "";
  drawChat(c);
}

/** Draws the header, the new messages and the state of the active chat c. */
function drawChat(c) {
  const user = c.info?.user;
  let who = `visitor ${shortId(c.id)}`;
  let about = "Loading…";
  if (user?.authenticated) {
    who = `${user.name || user.user_id}${user.name && user.user_id ? ` (user ${user.user_id})` : ""}`;
    about = `Signed-in user: ${who}`;
  } else if (c.info) {
    who = "anonymous visitor";
    about = "Anonymous (not signed in)";
  }
  $("chat-title").textContent = `Chat with ${who}`;
  replace(
    $("chat-visitor"),
    el("dt", {}, "Visitor"),
    el("dd", { id: "chat-who" }, about),
    el("dt", {}, "Conversation"),
    el("dd", {}, el("code", {}, c.id)),
    c.queue ? [el("dt", {}, "Queue"), el("dd", {}, c.queue)] : null,
    c.info?.channel ? [el("dt", {}, "Channel"), el("dd", {}, c.info.channel)] : null,
  );
  const list = $("transcript");
  const shown = Number(list.dataset.count || 0);
  if (c.messages.length > shown) {
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
    for (const m of c.messages.slice(shown)) list.append(messageEl(m));
    list.dataset.count = String(c.messages.length);
    if (atBottom || shown === 0) list.scrollTop = list.scrollHeight;
  }
  const over = !!c.ended;
  $("chat-state").hidden = !over;
  $("chat-state").textContent = c.ended;
  $("composer").hidden = over;
  $("chat-closed-actions").hidden = !over;
}

const WHO = { user: "Visitor", bot: "Bot", agent: "Agent", system: "System", staff: "Staff note" };

function messageEl(m) {
  const from = WHO[m.from] ? m.from : "system";
  return el(
    "li",
    { class: `from-${from}`, dataset: { from } },
    el("span", { class: "who" }, WHO[from], m.at ? [" · ", new Date(m.at).toLocaleTimeString()] : null),
    m.text,
  );
}

/** The buttons to switch between open chats (only with more than one). */
function drawSwitch() {
  const nav = $("chat-switch");
  if (chats.size < 2) {
    nav.hidden = true;
    replace(nav);
    return;
  }
  nav.hidden = false;
  replace(
    nav,
    [...chats.values()].map((c) =>
      el(
        "button",
        {
          type: "button",
          class: "secondary",
          "aria-current": c.id === active ? "true" : false,
          dataset: { conversation: c.id },
          onclick: () => {
            if (active && chats.has(active)) chats.get(active).draft = $("message").value;
            showChat(c.id);
          },
        },
        `Visitor ${shortId(c.id)}`,
        c.unread ? ` (${c.unread} new)` : "",
        c.ended ? " (ended)" : "",
      ),
    ),
  );
}

/** Removes chat id from the open chats. */
function closeChat(id) {
  chats.delete(id);
  saveChats();
  if (active === id) {
    const next = [...chats.keys()].find((k) => !chats.get(k).ended) || [...chats.keys()][0] || "";
    showChat(next);
  } else {
    drawSwitch();
  }
}

/** Loads chat id; resolves to false when it is gone (404/409). */
async function pollChat(id) {
  const n = epoch;
  const c = chats.get(id);
  if (!c || c.ended) return true;
  try {
    const info = await api(`/v1/agent/conversations/${encodeURIComponent(id)}`, { token: session.token() });
    if (n !== epoch || !chats.has(id)) return true;
    const had = c.messages.length;
    const wasEnded = c.ended;
    applyInfo(c, info);
    if (id === active) drawChat(c);
    else if (c.messages.length > had || c.ended !== wasEnded) drawSwitch();
    if (c.ended && !wasEnded) status(c.ended, "info");
    c.failing = false;
    return true;
  } catch (err) {
    if (n !== epoch || !chats.has(id)) return true;
    if (err instanceof ApiError && (err.status === 404 || err.status === 409)) {
      c.ended = err.status === 404 ? "This conversation no longer exists." : "This chat has ended: no agent is connected any more.";
      if (id === active) drawChat(c);
      else drawSwitch();
      status(c.ended, "info");
      return false;
    }
    if (err instanceof ApiError && err.status === 401) {
      problem(err);
      return true;
    }
    if (!c.failing) fail(err);
    c.failing = true;
    return true;
  }
}

async function pollChats() {
  await Promise.all([...chats.keys()].map((id) => pollChat(id)));
}

/** Reopens the chats kept in this tab, dropping those that are over. */
async function restoreChats() {
  const ids = savedChats();
  if (!ids.length) return;
  const token = session.token();
  const n = epoch;
  const found = await Promise.all(
    ids.map(async (id) => {
      try {
        return { id, info: await api(`/v1/agent/conversations/${encodeURIComponent(id)}`, { token }) };
      } catch (err) {
        if (err instanceof ApiError && (err.status === 404 || err.status === 409)) return null;
        return { id, info: null, err };
      }
    }),
  );
  if (n !== epoch) return;
  let first = "";
  for (const f of found) {
    if (!f) continue;
    const c = { id: f.id, queue: "", messages: [], info: null, ended: "", unread: 0 };
    chats.set(f.id, c);
    if (f.info) {
      applyInfo(c, f.info);
      if (c.ended) {
        chats.delete(f.id);
        continue;
      }
    } else if (f.err) {
      fail(f.err);
    }
    first ||= f.id;
  }
  saveChats();
  if (first) {
    showChat(first);
    status(chats.size === 1 ? "Your open chat is back." : `Your ${chats.size} open chats are back.`, "info");
  }
}

// ---- sending -----------------------------------------------------------------

let sending = false;

async function send(ev) {
  ev.preventDefault();
  const c = chats.get(active);
  const box = $("message");
  const text = box.value.trim();
  if (!c || c.ended || sending) return;
  if (!text) {
    status("Type a message first.", "error");
    box.focus();
    return;
  }
  sending = true;
  $("send").disabled = true;
  try {
    await api(`/v1/agent/conversations/${encodeURIComponent(c.id)}/messages`, {
      method: "POST",
      body: { text },
      token: session.token(),
    });
    if (box.value.trim() === text) box.value = "";
    c.draft = "";
    status("");
    await pollChat(c.id);
  } catch (err) {
    // The text stays in the box to try again.
    if (err instanceof ApiError && err.status === 409) {
      await pollChat(c.id);
      status("Not sent: this chat has ended.", "error");
    } else {
      problem(err);
    }
  } finally {
    sending = false;
    $("send").disabled = false;
    if (!$("composer").hidden) box.focus();
  }
}

// ---- feedback (disconnect) ---------------------------------------------------

function periodLabel(name) {
  if (name === "permanent") return "Permanent";
  const p = me.periods.find((x) => x.name === name);
  return p?.label || name;
}

/** Fills the reason and period choices of the feedback form from /v1/me. */
function buildFeedbackForm() {
  const cats = me.reason_categories;
  replace(
    $("fb-reason"),
    el("option", { value: "" }, "Choose a reason…"),
    cats.map((c) => el("option", { value: c }, words(c))),
  );
  const radio = (value, label, checked = false) =>
    el(
      "label",
      { class: "choice", for: `fb-period-${value}` },
      el("input", { type: "radio", id: `fb-period-${value}`, name: "period", value, checked }),
      label,
    );
  const list = me.periods;
  const presets = list.filter((p) => p.name !== "permanent");
  const def = presets.some((p) => p.name === "1d") ? "1d" : presets[0]?.name;
  replace(
    $("fb-period-choices"),
    presets.map((p) => radio(p.name, p.label || p.name, p.name === def)),
    radio("custom", "Custom"),
    radio("permanent", "Permanent", !def),
  );
}

/** The period chosen in the form: {value (what the API takes), text (for people)} or {error}. */
function chosenPeriod() {
  const pick = $("feedback-form").querySelector("input[name=period]:checked");
  if (!pick) return { error: "Choose a block period." };
  if (pick.value === "permanent") return { value: "permanent", text: "permanently", human: "permanently" };
  if (pick.value !== "custom") {
    const label = periodLabel(pick.value);
    return { value: pick.value, text: `for ${label}`, human: `for ${label}` };
  }
  const raw = $("fb-minutes").value.trim();
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 5256000) return { error: "Minutes: a whole number from 1 to 5256000 (10 years)." };
  const text = `${n} minute${n === 1 ? "" : "s"}`;
  return { value: String(n), text: `for ${text}`, human: n >= 60 ? `for ${text} (${duration(n * 60)})` : `for ${text}` };
}

/** Field error nodes by API field name. */
const FIELD_ERROR = {
  block: "fb-block-error",
  reason_category: "fb-reason-error",
  notes: "fb-notes-error",
  period: "fb-period-error",
  minutes: "fb-period-error",
  rating: "fb-rating-error",
};
const FIELD_INPUT = {
  reason_category: "fb-reason",
  notes: "fb-notes",
  period: "fb-period-choices",
  minutes: "fb-minutes",
  rating: "fb-rating",
};

function clearFieldErrors() {
  for (const id of new Set(Object.values(FIELD_ERROR))) {
    $(id).hidden = true;
    $(id).textContent = "";
  }
  for (const id of Object.values(FIELD_INPUT)) $(id).removeAttribute("aria-invalid");
  $("fb-errors").hidden = true;
  replace($("fb-errors"));
}

/** Shows errors [{field, message}] next to their fields; focuses the first. */
function showFieldErrors(errors, title = "Please correct the form") {
  const other = [];
  let first = null;
  for (const e of errors) {
    const id = FIELD_ERROR[e.field];
    if (!id) {
      other.push(e.field ? `${e.field}: ${e.message}` : e.message);
      continue;
    }
    const n = $(id);
    n.textContent = n.textContent ? `${n.textContent} ${e.message}` : e.message;
    n.hidden = false;
    const input = FIELD_INPUT[e.field] && $(FIELD_INPUT[e.field]);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      first ||= input.matches("input, select, textarea") ? input : input.querySelector("input:checked, input");
    }
  }
  replace($("fb-errors"), el("p", {}, title), other.length ? el("ul", {}, other.map((t) => el("li", {}, t))) : null);
  $("fb-errors").hidden = false;
  (first || $("fb-submit")).focus();
}

function blockChosen() {
  return $("fb-block-yes").checked;
}

function syncFeedbackForm() {
  const yes = blockChosen();
  $("fb-block-fields").hidden = !yes;
  const custom = $("feedback-form").querySelector("input[name=period]:checked")?.value === "custom";
  $("fb-custom").hidden = !yes || !custom;
  $("fb-submit").textContent = yes ? "Block and end chat" : "End chat";
}

/** The chat the feedback dialog is for. */
let feedbackFor = "";
let submitting = false;

function openFeedback() {
  const c = chats.get(active);
  if (!c || c.ended) return;
  feedbackFor = c.id;
  clearFieldErrors();
  $("feedback-title").textContent = `End the chat with ${c.info?.user?.authenticated ? c.info.user.name || c.info.user.user_id : `visitor ${shortId(c.id)}`}`;
  syncFeedbackForm();
  $("feedback").showModal();
  $("feedback-form").querySelector("input[name=block]:checked").focus();
}

/** Resets the form after a chat has ended (a cancelled form keeps its input). */
function resetFeedback() {
  $("feedback-form").reset();
  buildFeedbackForm();
  clearFieldErrors();
  syncFeedbackForm();
}

async function submitFeedback(ev) {
  ev.preventDefault();
  if (submitting) return;
  const id = feedbackFor;
  const c = chats.get(id);
  clearFieldErrors();
  if (!c) {
    $("feedback").close();
    return;
  }
  const block = blockChosen();
  const rating = $("fb-rating").value ? Number($("fb-rating").value) : 0;
  const body = { block, rating };
  let per = null;
  if (block) {
    const errors = [];
    const reason = $("fb-reason").value;
    if (!reason) errors.push({ field: "reason_category", message: "Choose the reason for the block." });
    per = chosenPeriod();
    if (per.error) errors.push({ field: "period", message: per.error });
    if (errors.length) {
      showFieldErrors(errors);
      status("The feedback form has problems: see the highlighted fields.", "error");
      return;
    }
    Object.assign(body, { reason_category: reason, notes: $("fb-notes").value.trim(), period: per.value, spam: $("fb-spam").checked });
    const ok = await confirmDialog(`Block this visitor from live chat ${per.human} and end the chat? The visitor is not told why.`, {
      confirmLabel: "Block and end chat",
    });
    if (!ok.ok) {
      status("Not sent: the chat is still connected.", "info");
      $("fb-submit").focus();
      return;
    }
  }
  submitting = true;
  $("fb-submit").disabled = true;
  status("Ending the chat…");
  try {
    const res = await api(`/v1/agent/conversations/${encodeURIComponent(id)}/disconnect`, { method: "POST", body, token: session.token() });
    $("feedback").close();
    resetFeedback();
    closeChat(id);
    if (!block) status("Chat ended", "ok");
    else if (res.blocked === false) status(`Chat ended, but the visitor is not blocked: check the admin portal.`, "error");
    else status(`Chat ended — visitor blocked ${per.text}`, "ok");
    await refreshQueues();
    (active ? $("message") : $("queues-title")).focus?.();
  } catch (err) {
    if (err instanceof ApiError && err.status === 422 && err.errors.length) {
      showFieldErrors(err.errors, err.title);
      fail(err);
    } else if (err instanceof ApiError && (err.status === 409 || err.status === 404)) {
      $("feedback").close();
      await pollChat(id);
      fail(err);
    } else {
      problem(err);
      if ($("feedback").open) $("fb-submit").focus();
    }
  } finally {
    submitting = false;
    $("fb-submit").disabled = false;
  }
}

// ---- direct block ------------------------------------------------------------

/** The chat the block dialog is for, and the idempotency key of its request. */
let blockFor = "";
let blockKey = "";

function openBlock() {
  const c = chats.get(active);
  if (!c || c.ended) return;
  blockFor = c.id;
  blockKey = newKey(); // a retry of this dialog's request finds its block
  $("bk-errors").hidden = true;
  replace($("bk-reason"), el("option", { value: "" }, "Choose a reason…"), me.reason_categories.map((r) => el("option", { value: r }, words(r))));
  replace($("bk-period"), me.periods.map((p) => el("option", { value: p.name, selected: p.name === "1d" }, p.label || p.name)));
  const signedIn = !!c.info?.user?.authenticated;
  $("bk-target-user").disabled = !signedIn;
  $("bk-target-user-label").hidden = !signedIn;
  $("block-dialog").showModal();
  $("bk-reason").focus();
}

async function submitBlock(ev) {
  ev.preventDefault();
  const id = blockFor;
  const target = $("block-form").querySelector("input[name=target]:checked")?.value || "conversation";
  const reason = $("bk-reason").value;
  const period = $("bk-period").value;
  if (!reason) {
    $("bk-errors").textContent = "Choose the reason for the block.";
    $("bk-errors").hidden = false;
    $("bk-reason").focus();
    return;
  }
  $("bk-submit").disabled = true;
  status("Blocking…");
  try {
    await api(`/v1/agent/conversations/${encodeURIComponent(id)}/block`, {
      method: "POST",
      token: session.token(),
      key: blockKey,
      body: { target, period, reason_category: reason, notes: $("bk-notes").value.trim() },
    });
    $("block-dialog").close();
    $("block-form").reset();
    await pollChat(id);
    status(`Visitor blocked ${period === "permanent" ? "permanently" : `for ${periodLabel(period)}`}; the chat has ended.`, "ok");
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) {
      $("bk-errors").textContent = err.detail || err.title || "The block was refused.";
      $("bk-errors").hidden = false;
    } else {
      $("block-dialog").close();
      problem(err);
    }
  } finally {
    $("bk-submit").disabled = false;
  }
}

// ---- warning (automatic moderation) -------------------------------------------

/**
 * Warns the visitor of the open chat: the bot says the warning (the
 * agent's text, else the configured one) and the visitor gets a strike,
 * which may complete an offence on the ladder (an automatic block).
 */
async function warn() {
  const c = chats.get(active);
  if (!c || c.ended) return;
  const id = c.id;
  const ans = await confirmDialog(
    "Warn the visitor? The bot says the warning and the visitor gets a strike; enough strikes block them automatically.",
    { confirmLabel: "Warn", notes: true, notesLabel: "Warning text (optional; empty: the standard warning)", danger: false },
  );
  if (!ans.ok) {
    status("No warning sent.", "info");
    if (!$("composer").hidden) $("warn").focus();
    return;
  }
  $("warn").disabled = true;
  status("Warning…");
  try {
    const res = await api(`/v1/agent/conversations/${encodeURIComponent(id)}/warn`, {
      method: "POST",
      token: session.token(),
      key: newKey(),
      body: ans.notes ? { text: ans.notes } : {},
    });
    await pollChat(id);
    status(res.blocked ? "Visitor warned; with this strike they are blocked automatically and the chat has ended." : "Visitor warned.", "ok");
  } catch (err) {
    problem(err);
  } finally {
    $("warn").disabled = false;
    if (!$("composer").hidden) $("warn").focus();
  }
}

// ---- session -----------------------------------------------------------------

/** Offers the demo staff accounts when the server runs in demo mode (once). */
let demoLoaded = false;
function loadDemo() {
  if (demoLoaded) return;
  demoLoaded = true;
  offerDemoStaff($("demo-buttons"), $("demo"), signIn);
}

function showSignIn() {
  me = null;
  $("who").hidden = true;
  $("console").hidden = true;
  $("signin").hidden = false;
  loadDemo();
}

function signOut(message = "Signed out.") {
  epoch++;
  stopPolling();
  session.signOut();
  sessionStorage.removeItem(CHATS_KEY);
  chats.clear();
  queueNodes.clear();
  replace($("queue-list"));
  showChat("");
  if ($("feedback").open) $("feedback").close();
  if ($("block-dialog").open) $("block-dialog").close();
  showSignIn();
  status(message, "info");
  $("token").value = "";
  $("token").focus();
}

async function showConsole(p) {
  me = p;
  epoch++;
  $("signin").hidden = true;
  $("who").hidden = false;
  $("who-name").textContent = p.name ? `${p.name} (${p.email})` : p.email;
  $("who-role").textContent = p.role;
  $("console").hidden = false;
  buildFeedbackForm();
  syncFeedbackForm();
  showChat("");
  await Promise.all([refreshQueues(), restoreChats()]);
  scheduleQueues();
  scheduleChats();
}

async function signIn(token) {
  token = token.trim();
  if (!token) {
    status("Paste your access token first.", "error");
    $("token").focus();
    return;
  }
  status("Signing in…");
  $("signin-submit").disabled = true;
  let p;
  try {
    p = await session.signIn(token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) status("That access token is not valid.", "error");
    else fail(err);
    $("token").focus();
    $("token").select();
    return;
  } finally {
    $("signin-submit").disabled = false;
  }
  $("token").value = "";
  status(`Signed in as ${p.name || p.email}.`, "ok");
  await showConsole(p);
  if (!active) $("queues-title").focus?.();
}

// ---- wiring ------------------------------------------------------------------

function wire() {
  $("signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn($("token").value);
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("refresh").addEventListener("click", async () => {
    await refreshQueues();
    if (!queuesFailing) status("Queues refreshed.", "info");
  });
  $("composer").addEventListener("submit", send);
  $("message").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("disconnect").addEventListener("click", openFeedback);
  $("block-now").addEventListener("click", openBlock);
  $("warn").addEventListener("click", warn);
  $("block-form").addEventListener("submit", submitBlock);
  $("bk-cancel").addEventListener("click", () => $("block-dialog").close("cancel"));
  $("block-dialog").addEventListener("close", () => {
    if (active && !$("composer").hidden) $("block-now").focus();
  });
  $("close-chat").addEventListener("click", () => {
    closeChat(active);
    status("Chat closed.", "info");
    (active ? $("message") : $("queues-title")).focus?.();
  });
  $("feedback-form").addEventListener("submit", submitFeedback);
  $("feedback-form").addEventListener("change", syncFeedbackForm);
  $("fb-cancel").addEventListener("click", () => $("feedback").close("cancel"));
  // Escape (cancel) or the Cancel button: nothing is sent, the input is kept.
  $("feedback").addEventListener("cancel", () => status("Not sent: the chat is still connected.", "info"));
  $("fb-cancel").addEventListener("click", () => status("Not sent: the chat is still connected.", "info"));
  $("feedback").addEventListener("close", () => {
    if (active && !$("composer").hidden) $("disconnect").focus();
  });
  $("queues-title").tabIndex = -1;
}

async function start() {
  wire();
  let p = null;
  try {
    p = await session.current();
  } catch (err) {
    fail(err);
  }
  if (p) await showConsole(p);
  else showSignIn();
}

start().catch((err) => status(`The agent console failed to start: ${err.message}`, "error"));
