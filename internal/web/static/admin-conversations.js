// The admin portal's conversations views (#conversations, #conversation/ID).
import { el, replace } from "/static/common.js";

export async function showConversations(root, ctx) {
  replace(root, el("h1", {}, "Conversations"));
}

export async function showConversation(root, ctx) {
  replace(root, el("h1", {}, "Conversation"));
}
