// Admin portal: the shell. Sign in (token or demo account), the role
// check, the section tabs and the hash routes:
//
//	#blocks            active blocks (admin-blocks.js)
//	#history           ended and lifted blocks (admin-blocks.js)
//	#bans              add an IP or range ban (admin-blocks.js)
//	#block/ID          one block's details and actions (admin-blocks.js)
//	#user, #user/ID    user lookup (admin-users.js)
//	#conversations     conversations (admin-conversations.js)
//	#conversation/ID   one conversation (admin-conversations.js)
//	#webhooks          webhook subscriptions (admin-webhooks.js; admins)
//	#webhook/ID        one subscription's delivery log (admin-webhooks.js)
//	#moderation        automatic moderation's rules, hits and limits (admin-moderation.js)
//
// Every view is an async function(root, ctx) with ctx = {token, me,
// params, go}: root is a fresh element in the view area, params holds the
// route's id and query parameters, go(hash) navigates.

import { ApiError, api, atLeast, el, replace, $, session, status, fail, offerDemoStaff } from "/static/common.js";
import { showBlocks, showHistory, showBans, showBlock } from "/static/admin-blocks.js";

/** The signed-in profile (GET /v1/me), or null. */
let me = null;

/** Which tab each route belongs to. */
const TAB_OF = {
  blocks: "blocks",
  history: "history",
  bans: "bans",
  block: "blocks",
  user: "user",
  conversations: "conversations",
  conversation: "conversations",
  webhooks: "webhooks",
  webhook: "webhooks",
  moderation: "moderation",
};

/** The views of the routes; the user and conversation views load on first use. */
const VIEWS = {
  blocks: async () => showBlocks,
  history: async () => showHistory,
  bans: async () => showBans,
  block: async () => showBlock,
  user: async () => (await import("/static/admin-users.js")).showUser,
  conversations: async () => (await import("/static/admin-conversations.js")).showConversations,
  conversation: async () => (await import("/static/admin-conversations.js")).showConversation,
  webhooks: async () => (await import("/static/admin-webhooks.js")).showWebhooks,
  webhook: async () => (await import("/static/admin-webhooks.js")).showWebhook,
  moderation: async () => (await import("/static/admin-moderation.js")).showModeration,
};

/** Parses "#name/ID?k=v" into {name, params}. */
function parseHash(hash) {
  let h = (hash || "").replace(/^#/, "");
  let query = "";
  const q = h.indexOf("?");
  if (q >= 0) {
    query = h.slice(q + 1);
    h = h.slice(0, q);
  }
  const slash = h.indexOf("/");
  const name = slash >= 0 ? h.slice(0, slash) : h;
  const params = Object.fromEntries(new URLSearchParams(query));
  if (slash >= 0) {
    const id = decodeURIComponent(h.slice(slash + 1));
    if (id) params.id = id;
  }
  return { name: name || "blocks", params };
}

/** Marks the tab of route as selected (roving tabindex: only it is in the tab order). */
function selectTab(route) {
  const current = TAB_OF[route] || "blocks";
  for (const tab of $("tabs").querySelectorAll("[role=tab]")) {
    const on = tab.dataset.route === current;
    tab.setAttribute("aria-selected", on ? "true" : "false");
    tab.tabIndex = on ? 0 : -1;
    if (on) $("view").setAttribute("aria-labelledby", tab.id);
  }
}

/** Bumped by each render: a slower earlier render must not steal focus. */
let renders = 0;

/**
 * Shows the view of the current hash. Resolves when it is drawn (a view's
 * error is reported in the status line).
 */
async function render({ keepStatus = false } = {}) {
  if (!me || !atLeast(me.role, "supervisor")) return;
  const { name, params } = parseHash(location.hash);
  const n = ++renders;
  const route = VIEWS[name] ? name : "blocks";
  selectTab(route);
  if (!keepStatus) status("");
  const root = el("div", { class: `view view-${route}` });
  replace($("view"), root);
  try {
    const view = await VIEWS[route]();
    await view(root, { token: session.token(), me, params, go });
  } catch (err) {
    if (n !== renders) return;
    if (err instanceof ApiError && err.status === 401) {
      signOut("Your session has ended: sign in again.");
      return;
    }
    if (err instanceof ApiError || err instanceof TypeError) fail(err);
    else status(`This view failed: ${err.message}`, "error");
  }
}

/**
 * Navigates to hash and draws its view; resolves when it is drawn. With
 * keepStatus the status line set by the caller afterwards is not cleared.
 */
async function go(hash, { keepStatus = false } = {}) {
  const target = hash.startsWith("#") ? hash : `#${hash}`;
  if (location.hash !== target) history.pushState(null, "", target);
  await render({ keepStatus });
  const h = $("view").querySelector("h2");
  if (h && document.activeElement === document.body) {
    h.tabIndex = -1;
    h.focus({ preventScroll: true });
  }
}

function showSignIn() {
  me = null;
  $("who").hidden = true;
  $("portal").hidden = true;
  $("role-notice").hidden = true;
  replace($("view"));
  $("signin").hidden = false;
  loadDemo();
}

function signOut(message = "Signed out.") {
  session.signOut();
  showSignIn();
  status(message, "info");
  $("token").value = "";
  $("token").focus();
}

/** Shows the portal (or the role notice) for the profile p. */
async function showPortal(p) {
  me = p;
  $("signin").hidden = true;
  $("who").hidden = false;
  $("who-name").textContent = p.name ? `${p.name} (${p.email})` : p.email;
  $("who-role").textContent = p.role;
  if (!atLeast(p.role, "supervisor")) {
    $("portal").hidden = true;
    replace($("view"));
    const notice = $("role-notice");
    notice.textContent = `The admin portal needs a supervisor or admin role. You are signed in as ${p.name || p.email}, with the ${p.role} role: use the agent console, or sign out and sign in with a supervisor or admin token.`;
    notice.hidden = false;
    return;
  }
  $("role-notice").hidden = true;
  $("portal").hidden = false;
  await render();
}

/** Offers the demo staff accounts when the server runs in demo mode (once). */
let demoLoaded = false;
function loadDemo() {
  if (demoLoaded) return;
  demoLoaded = true;
  offerDemoStaff($("demo-buttons"), $("demo"), signIn);
}

async function signIn(token) {
  status("Signing in…");
  let p;
  try {
    p = await session.signIn(token.trim());
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) status("That access token is not valid.", "error");
    else fail(err);
    return;
  }
  $("token").value = "";
  await showPortal(p);
  status(`Signed in as ${p.name || p.email}.`, "ok");
}

/** Arrow keys, Home and End move between the tabs (the tablist pattern). */
function tabKeys(ev) {
  const tabs = [...$("tabs").querySelectorAll("[role=tab]")];
  const i = tabs.indexOf(document.activeElement);
  if (i < 0) return;
  let j;
  if (ev.key === "ArrowRight") j = (i + 1) % tabs.length;
  else if (ev.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
  else if (ev.key === "Home") j = 0;
  else if (ev.key === "End") j = tabs.length - 1;
  else return;
  ev.preventDefault();
  tabs[j].focus();
  go(`#${tabs[j].dataset.route}`);
}

async function start() {
  $("signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = $("token").value;
    if (token.trim()) signIn(token);
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("tabs").addEventListener("click", (ev) => {
    const tab = ev.target.closest("[role=tab]");
    if (tab) go(`#${tab.dataset.route}`);
  });
  $("tabs").addEventListener("keydown", tabKeys);
  window.addEventListener("hashchange", () => render());
  let p = null;
  try {
    p = await session.current();
  } catch (err) {
    fail(err);
  }
  if (p) await showPortal(p);
  else showSignIn();
  document.body.dataset.ready = "true";
}

start();
