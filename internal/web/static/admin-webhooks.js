// Admin portal: webhook subscriptions (#webhooks, #webhook/ID; admins
// only). The list with a form to subscribe an endpoint (the secret is
// shown once, right after), enable/disable and delete; a subscription's
// delivery log with a "Resend" button per delivery. A view is an async
// function(root, ctx) as admin.js calls it.

import { api, atLeast, el, replace, timeEl, status, fail, confirmDialog, words, dataTable } from "/static/common.js";
import { routeLink } from "/static/admin-common.js";

/** The event types a subscription may ask for (openapi.json: Webhook.types). */
const TYPES = ["block.created", "block.renewed", "block.edited", "block.lifted", "block.expired", "ban.created", "ban.lifted", "ban.expired", "conversation.blocked"];

function adminOnly(root, ctx) {
  if (atLeast(ctx.me.role, "admin")) return false;
  replace(root, el("p", { id: "webhooks-admin-only", class: "notice" }, "Webhook subscriptions are managed by admins."));
  return true;
}

/** The subscribe form; on success it shows the secret once and reloads the list. */
function createForm(ctx, onCreated) {
  const url = el("input", { id: "webhook-url", name: "url", type: "url", required: true, placeholder: "https://hooks.example.com/chatflow", autocomplete: "off" });
  const boxes = TYPES.map((t) => el("label", { class: "check" }, el("input", { type: "checkbox", name: "types", value: t }), ` ${t}`));
  const form = el(
    "form",
    { id: "webhook-create", class: "panel", "aria-label": "Subscribe an endpoint" },
    el("label", { for: "webhook-url" }, "Endpoint URL"),
    url,
    el("fieldset", {}, el("legend", {}, "Event types (none ticked: all)"), boxes),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "webhook-submit" }, "Subscribe")),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const types = [...form.querySelectorAll("input[name=types]:checked")].map((b) => b.value);
    try {
      const res = await api("/v1/admin/webhooks", { method: "POST", token: ctx.token, body: { url: url.value.trim(), types } });
      onCreated(res);
    } catch (err) {
      fail(err);
    }
  });
  return form;
}

/** #webhooks: the subscriptions. */
export async function showWebhooks(root, ctx) {
  if (adminOnly(root, ctx)) return;
  const secretBox = el("div", { id: "webhook-secret" });
  const list = el("div", { id: "webhook-list" });
  const load = async () => {
    const { webhooks } = await api("/v1/admin/webhooks", { token: ctx.token });
    if (!webhooks.length) {
      replace(list, el("p", { id: "webhooks-empty", class: "muted" }, "No subscriptions."));
      return;
    }
    const rows = webhooks.map((w) => {
      const toggle = el("button", { type: "button", class: "webhook-toggle" }, w.enabled ? "Disable" : "Enable");
      toggle.addEventListener("click", async () => {
        try {
          await api(`/v1/admin/webhooks/${encodeURIComponent(w.id)}`, { method: "PATCH", token: ctx.token, body: { enabled: !w.enabled } });
          status(`${w.url} ${w.enabled ? "disabled" : "enabled"}.`, "ok");
          await load();
        } catch (err) {
          fail(err);
        }
      });
      const del = el("button", { type: "button", class: "danger webhook-delete" }, "Delete");
      del.addEventListener("click", async () => {
        if (!(await confirmDialog(`Delete the subscription of ${w.url} and its delivery log?`, { confirmLabel: "Delete" })).ok) return;
        try {
          await api(`/v1/admin/webhooks/${encodeURIComponent(w.id)}`, { method: "DELETE", token: ctx.token });
          status("Subscription deleted.", "ok");
          await load();
        } catch (err) {
          fail(err);
        }
      });
      return el(
        "tr",
        { "data-id": w.id },
        el("td", {}, routeLink(ctx, `#webhook/${encodeURIComponent(w.id)}`, w.url)),
        el("td", {}, w.types.length ? w.types.join(", ") : "all"),
        el("td", {}, w.enabled ? "Enabled" : "Disabled"),
        el("td", {}, timeEl(w.created_at), ` by ${w.created_by || "—"}`),
        el("td", {}, toggle, " ", del),
      );
    });
    replace(list, dataTable({ id: "webhooks-table" }, ["Endpoint", "Events", "State", "Created", "Actions"], rows));
  };
  const form = createForm(ctx, async (res) => {
    replace(
      secretBox,
      el(
        "div",
        { class: "panel notice", role: "status" },
        el("p", {}, "Signing secret — copy it now, it is not shown again:"),
        el("code", { id: "webhook-secret-value" }, res.secret),
      ),
    );
    status("Subscription created.", "ok");
    await load();
  });
  replace(root, el("h2", {}, "Webhooks"), form, secretBox, list);
  await load();
}

/** #webhook/ID: a subscription's delivery log. */
export async function showWebhook(root, ctx) {
  if (adminOnly(root, ctx)) return;
  const id = ctx.params.id;
  const list = el("div", { id: "delivery-list" });
  const load = async () => {
    const { deliveries } = await api(`/v1/admin/webhooks/${encodeURIComponent(id)}/deliveries?limit=200`, { token: ctx.token });
    if (!deliveries.length) {
      replace(list, el("p", { id: "deliveries-empty", class: "muted" }, "No deliveries yet."));
      return;
    }
    const rows = deliveries.map((d) => {
      const resend = el("button", { type: "button", class: "delivery-resend" }, "Resend");
      resend.addEventListener("click", async () => {
        try {
          await api(`/v1/admin/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(d.webhook_id)}/resend`, { method: "POST", token: ctx.token });
          status(`Delivery ${d.webhook_id} will be sent again.`, "ok");
          await load();
        } catch (err) {
          fail(err);
        }
      });
      return el(
        "tr",
        { "data-id": d.webhook_id },
        el("td", {}, el("code", {}, d.webhook_id)),
        el("td", {}, d.type),
        el("td", {}, timeEl(d.at)),
        el("td", { class: `state-${d.state}` }, words(d.state)),
        el("td", {}, String(d.attempts)),
        el("td", {}, d.last_status ? String(d.last_status) : "—", d.last_error ? ` ${d.last_error}` : ""),
        el("td", {}, d.state === "pending" ? timeEl(d.next_at) : timeEl(d.delivered_at)),
        el("td", {}, d.state === "pending" ? "—" : resend),
      );
    });
    replace(list, dataTable({ id: "deliveries-table" }, ["webhook-id", "Event", "At", "State", "Attempts", "Last outcome", "Next / delivered", "Actions"], rows));
  };
  replace(root, el("p", {}, routeLink(ctx, "#webhooks", "← All webhooks")), el("h2", {}, "Delivery log"), list);
  await load();
}
