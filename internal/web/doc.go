// Package web is chatflow's browser front end, served by `chatflow serve`
// from files embedded in the binary (no build step, no separate server):
//
//	/chat    the visitor's chat widget (anonymous, or a demo/host-signed user)
//	/agent   the agent console: sign in, the waiting queues, take a chat,
//	         talk live, leave with the feedback form (block or not)
//	/admin   the admin portal: blocks (filter, search, details, unblock,
//	         renew, edit), users' Live Chat Blacklist, IP and range bans,
//	         history, conversations with transcripts, CSV exports
//
// The pages are plain HTML with ES modules and one shared stylesheet;
// they talk only to the JSON API of internal/server, with the staff
// bearer token kept in the tab's sessionStorage. Handler serves them with
// a strict Content-Security-Policy (no inline script or style).
package web
