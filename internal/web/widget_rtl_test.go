package web_test

import (
	"testing"

	"github.com/chatflow/chatflow/internal/server"
)

// TestWidgetRightToLeft: a visitor whose language is written right to
// left (Arabic, offered by the widget without a catalog of its own, so the
// texts fall back to English) gets a mirrored chat: the page's direction
// is rtl, the visitor's own bubbles sit on the left and the bot's on the
// right, the Send button is left of the input, nothing overflows, and the
// page passes axe.
func TestWidgetRightToLeft(t *testing.T) {
	e := newUI(t, server.WithWidget(server.WidgetOptions{Languages: []string{"en", "ar"}, BrandName: "Acme"}))
	ctx := e.desktop()
	e.open(ctx, "/chat?lang=ar", "#start-guest")
	e.waitJS(ctx, "the page is right to left", `document.documentElement.dir === "rtl" && document.documentElement.lang === "ar"`)
	e.click(ctx, "#start-guest")
	e.waitText(ctx, "#transcript", greeting)
	say(e, ctx, "hello")

	type box struct{ Left, Right float64 }
	type layout struct {
		Bot, User, Input, Send, List box
		Overflow                     bool
	}
	got := evalJS[layout](e, ctx, `(() => {
		const r = (el) => { const b = el.getBoundingClientRect(); return {Left: b.left, Right: b.right}; };
		const items = [...document.querySelectorAll("#transcript li")];
		return {
			Bot: r(items.find((li) => li.classList.contains("from-bot") || (!li.classList.contains("from-user") && !li.classList.contains("from-system")))),
			User: r(items.filter((li) => li.classList.contains("from-user")).pop()),
			Input: r(document.getElementById("message")),
			Send: r(document.getElementById("send")),
			List: r(document.getElementById("transcript")),
			Overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth,
		};
	})()`)
	const edge = 20 // px: padding between a bubble and its side of the list
	if got.User.Left > got.List.Left+edge {
		t.Errorf("the visitor's bubble starts at x=%.0f, the transcript at x=%.0f: not on the left in rtl", got.User.Left, got.List.Left)
	}
	if got.Bot.Right < got.List.Right-edge {
		t.Errorf("the bot's bubble ends at x=%.0f, the transcript at x=%.0f: not on the right in rtl", got.Bot.Right, got.List.Right)
	}
	if got.Send.Right > got.Input.Left {
		t.Errorf("Send spans x=%.0f–%.0f, the input starts at x=%.0f: Send is not left of the input in rtl", got.Send.Left, got.Send.Right, got.Input.Left)
	}
	if got.Overflow {
		t.Error("the right-to-left page scrolls sideways")
	}
	e.checkLabels(ctx, "the right-to-left chat")
	e.shot(ctx, "widget-rtl")
}
