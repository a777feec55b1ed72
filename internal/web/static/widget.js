// chatflow widget: put the chat on a site with one tag.
//
//   <script src="https://chat.example.com/widget.js" async
//           data-lang="de" data-theme="auto" data-position="right"
//           data-launcher-text="Fragen?" data-user-token="JWT…"></script>
//
// It adds a launcher button to the page and opens the chat (the /chat page
// of the server the script comes from) in an iframe. The server must list
// the page's origin in widget.allowed_origins, or the browser refuses to
// frame the chat. All attributes are optional:
//
//   data-lang           the visitor's language (en, de, ro); default: the
//                       browser's languages
//   data-theme          auto (follow prefers-color-scheme), light or dark
//   data-position       right (default) or left: the bottom corner
//   data-launcher-text  the launcher's text; default: "Chat with us" in
//                       the visitor's language
//   data-user-token     a JWT the site's backend signed for its logged-in
//                       user (see the README); else the visitor is a guest
//   data-open           "true" opens the chat at once
//
// The page controls it through window.chatflow:
//
//   chatflow.open(), chatflow.close(), chatflow.toggle()
//   chatflow.setUserToken(jwt)   sign the visitor in (e.g. after login)
//   chatflow.on("unread", (n) => …)   unread messages while closed
//   chatflow.on("open" | "close" | "ready", () => …)
//
// Underneath, the page and the chat exchange window.postMessage messages
// {chatflow: 1, type, …}, checked against each other's origin: to the chat
// "open", "close", "set_user_token" {token}; from the chat "ready" {lang,
// texts}, "unread" {count}, "close" (its close button, or Escape).
(() => {
  "use strict";
  if (window.chatflow && window.chatflow.version) return; // loaded twice
  const script = document.currentScript;
  if (!script) return;
  const base = new URL(script.src, location.href);
  const origin = base.origin;
  const d = script.dataset;
  const position = d.position === "left" ? "left" : "right";

  const q = new URLSearchParams({ embed: "1", host: location.origin });
  if (d.lang) q.set("lang", d.lang);
  if (d.theme === "dark" || d.theme === "light") q.set("theme", d.theme);
  const src = `${origin}/chat?${q}${d.userToken ? `#user_token=${encodeURIComponent(d.userToken)}` : ""}`;

  const listeners = {};
  const emit = (name, arg) => (listeners[name] || []).forEach((f) => f(arg));

  const frame = document.createElement("iframe");
  frame.id = "chatflow-frame";
  frame.src = src;
  frame.title = "Chat";
  frame.hidden = true;
  // Styles through the CSSOM: allowed by a host's strict CSP, unlike a
  // style attribute or an inline <style>.
  Object.assign(frame.style, {
    position: "fixed", bottom: "88px", [position]: "16px", width: "min(400px, calc(100vw - 32px))",
    height: "min(640px, calc(100vh - 112px))", border: "0", borderRadius: "12px",
    boxShadow: "0 8px 32px rgba(0,0,0,.3)", zIndex: "2147483646", background: "transparent", colorScheme: "normal",
  });

  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.id = "chatflow-launcher";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", frame.id);
  launcher.hidden = true; // until the chat is ready and has told its texts
  Object.assign(launcher.style, {
    position: "fixed", bottom: "16px", [position]: "16px", zIndex: "2147483647", minHeight: "48px",
    padding: "12px 20px", borderRadius: "24px", border: "2px solid transparent", font: "600 16px system-ui, sans-serif",
    cursor: "pointer", boxShadow: "0 4px 16px rgba(0,0,0,.25)", background: "#0b5cad", color: "#ffffff",
  });
  const label = document.createElement("span");
  // The count shows as a badge; screen readers hear "3 unread" instead.
  const badge = document.createElement("span");
  badge.setAttribute("aria-hidden", "true");
  badge.hidden = true;
  const spoken = document.createElement("span");
  Object.assign(spoken.style, { position: "absolute", width: "1px", height: "1px", overflow: "hidden", clip: "rect(0 0 0 0)", whiteSpace: "nowrap" });
  Object.assign(badge.style, {
    marginInlineStart: "8px", padding: "0 8px", borderRadius: "12px", background: "#ffffff", color: "#1b1f24", fontWeight: "700",
  });
  launcher.append(label, badge, spoken);

  let texts = { launcher: "Chat", launcher_unread: "{n}", frame_title: "Chat" };
  let isOpen = false;
  let unread = 0;

  const post = (type, data = {}) => frame.contentWindow && frame.contentWindow.postMessage({ chatflow: 1, type, ...data }, origin);

  function render() {
    label.textContent = d.launcherText || texts.launcher;
    badge.textContent = String(unread);
    badge.hidden = unread === 0 || isOpen;
    // The visible text stays the start of the accessible name (WCAG 2.5.3).
    spoken.textContent = unread && !isOpen ? `, ${texts.launcher_unread.replace("{n}", unread)}` : "";
    launcher.setAttribute("aria-expanded", String(isOpen));
  }

  function setOpen(open, { focus = true } = {}) {
    if (open === isOpen) return;
    isOpen = open;
    frame.hidden = !open;
    if (open) unread = 0;
    render();
    post(open ? "open" : "close");
    if (open && focus) frame.focus();
    if (!open && focus) launcher.focus();
    emit(open ? "open" : "close");
  }

  function contrast(hex) {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    const l = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    return (1.05 / (l + 0.05)) >= ((l + 0.05) / 0.05) ? "#ffffff" : "#000000";
  }

  window.addEventListener("message", (ev) => {
    if (ev.origin !== origin || ev.source !== frame.contentWindow) return;
    const m = ev.data || {};
    if (m.chatflow !== 1) return;
    if (m.type === "ready") {
      texts = { ...texts, ...(m.texts || {}) };
      frame.title = texts.frame_title;
      if (/^#[0-9a-f]{6}$/i.test(m.primary_color || "")) {
        launcher.style.background = m.primary_color;
        launcher.style.color = contrast(m.primary_color);
      }
      launcher.hidden = false;
      render();
      if (isOpen) post("open");
      emit("ready");
    } else if (m.type === "unread") {
      unread = isOpen ? 0 : Number(m.count) || 0;
      render();
      emit("unread", unread);
    } else if (m.type === "close") {
      setOpen(false);
    }
  });

  launcher.addEventListener("click", () => setOpen(!isOpen));

  window.chatflow = {
    version: 1,
    open: () => setOpen(true),
    close: () => setOpen(false),
    toggle: () => setOpen(!isOpen),
    setUserToken: (token) => post("set_user_token", { token: String(token || "") }),
    on: (name, f) => {
      (listeners[name] = listeners[name] || []).push(f);
    },
  };

  const mount = () => {
    document.body.append(frame, launcher);
    render();
    if (d.open === "true") setOpen(true, { focus: false });
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
