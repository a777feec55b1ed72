package expression_test

import (
	"fmt"
	"time"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows/expression"
)

// Example compiles a branch condition once, runs it in a turn, unblocks the
// user with a set step, and shows a load error.
func Example() {
	isBlocked, err := expression.Compile(
		"[[ConversationInfo]].LiveChatBlockedUntil != null && [[ConversationInfo]].LiveChatBlockedUntil > GetDate",
		expression.Options{Expect: expression.KindBool})
	if err != nil {
		panic(err)
	}

	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	until := now.Add(24 * time.Hour)
	env := &expression.Env{
		ConversationInfo: &contextstore.ConversationInfo{LiveChatBlockedUntil: &until},
		ChatUser:         &contextstore.ChatUser{Name: "Ann"},
		ChatActivityData: &contextstore.ChatActivityData{},
		AgentFeedback:    &contextstore.AgentFeedback{},
		HelpdeskClient:   &contextstore.HelpdeskClient{},
		Vars:             map[string]any{},
		Now:              now,
	}
	var r expression.Runner // one per goroutine
	blocked, _ := r.Run(isBlocked, env)
	fmt.Println("blocked:", blocked)

	msg, _ := expression.CompileTemplate("Sorry ${[[ChatUser]].Name}, try again after ${[[ConversationInfo]].LiveChatBlockedUntil}.", expression.Options{})
	text, _ := msg.Render(&r, env)
	fmt.Println(text)

	// set: [[ConversationInfo]].LiveChatBlockedUntil = null
	target, _ := expression.ParseTarget("[[ConversationInfo]].LiveChatBlockedUntil", expression.Options{})
	value, _ := expression.Compile("null", expression.Options{})
	if err := target.Check(value.Type()); err != nil {
		panic(err)
	}
	v, _ := r.Run(value, env)
	_ = target.Set(env, v)
	blocked, _ = r.Run(isBlocked, env)
	fmt.Println("blocked:", blocked)

	_, err = expression.Compile("[[ConversationInfo]].LiveChatBlockedUntl > GetDate", expression.Options{})
	fmt.Println(err)
	// Output:
	// blocked: true
	// Sorry Ann, try again after 2024-05-02T12:00:00Z.
	// blocked: false
	// 1:22: [[ConversationInfo]] has no field LiveChatBlockedUntl (did you mean LiveChatBlockedUntil?)
	//  | [[ConversationInfo]].LiveChatBlockedUntl > GetDate
	//  | .....................^
}
