// The admin portal's user page (#user, #user/ID).
import { el, replace } from "/static/common.js";

export async function showUser(root, ctx) {
  replace(root, el("h1", {}, "User"));
}
