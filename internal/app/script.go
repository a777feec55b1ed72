package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/flowtest"
)

// ScriptCommands returns the test-script commands of the wired services:
//
//	agent_take: {agent: EMAIL, queue: NAME}   the agent takes the next waiting conversation (it must be the current one)
//	agent_say: TEXT                           the connected agent writes to the user
//	expect_queue: {QUEUE: [conversation ids]} the waiting queue, oldest first
//	expect_blocks: {user|conversation: ID, status: active|ended, count: N, until, reason, by, lifted_by, conversation_id}
//	admin_ban: {ip|range: X, allow: BOOL, period: 1h|1d|1w|1m|7d|permanent|MINUTES, reason: CATEGORY, notes, by, channels: [...]}
//	admin_unblock_user: {user: ID, by: EMAIL, notes: TEXT}
//	admin_lift: {conversation: ID, by: EMAIL, notes: TEXT}   lift the active block of an anonymous conversation
//	agent_warn: TEXT                          an agent's warning (a strike; empty TEXT: the configured warning)
//	expect_strikes: {subject: visitor|conversation, strikes: N, offences: N, next: PERIOD}   the standing on the ladder
func (a *App) ScriptCommands() map[string]flowtest.Command {
	return map[string]flowtest.Command{
		"agent_take":         a.cmdAgentTake,
		"agent_say":          a.cmdAgentSay,
		"expect_queue":       a.cmdExpectQueue,
		"expect_blocks":      a.cmdExpectBlocks,
		"admin_ban":          a.cmdAdminBan,
		"admin_unblock_user": a.cmdAdminUnblockUser,
		"admin_lift":         a.cmdAdminLift,
		"agent_warn":         a.cmdAgentWarn,
		"expect_strikes":     a.cmdExpectStrikes,
	}
}

func (a *App) cmdAgentTake(ctx context.Context, s *flowtest.Session, arg *yaml.Node) error {
	var p struct {
		Agent string `yaml:"agent"`
		Queue string `yaml:"queue"`
	}
	if err := arg.Decode(&p); err != nil {
		return err
	}
	if p.Queue == "" {
		p.Queue = "default"
	}
	c, err := a.Desk.Take(ctx, p.Queue, p.Agent)
	if err != nil {
		return err
	}
	if c.ID != s.Conversation {
		return fmt.Errorf("the agent took conversation %s, not the current one (%s)", c.ID, s.Conversation)
	}
	s.Replies = nil
	return nil
}

func (a *App) cmdAgentSay(ctx context.Context, s *flowtest.Session, arg *yaml.Node) error {
	if err := a.Desk.Say(ctx, s.Conversation, arg.Value); err != nil {
		return err
	}
	c, err := s.Conv(ctx)
	if err != nil {
		return err
	}
	if n := len(c.Transcript); n == 0 || c.Transcript[n-1].From != "agent" || c.Transcript[n-1].Text != arg.Value {
		return errors.New("the agent's message is not in the transcript")
	}
	return nil
}

func (a *App) cmdExpectQueue(ctx context.Context, _ *flowtest.Session, arg *yaml.Node) error {
	var want map[string][]string
	if err := arg.Decode(&want); err != nil {
		return err
	}
	for _, q := range slices.Sorted(maps.Keys(want)) {
		entries, err := a.Queue.Waiting(ctx, q)
		if err != nil {
			return err
		}
		got := make([]string, len(entries))
		for i, e := range entries {
			got[i] = e.ConversationID
		}
		if !slices.Equal(got, want[q]) {
			return fmt.Errorf("queue %s (- expected, + actual):\n%s", q, flowtest.Diff(want[q], got))
		}
	}
	return nil
}

func (a *App) cmdExpectBlocks(ctx context.Context, s *flowtest.Session, arg *yaml.Node) error {
	var p struct {
		User           string     `yaml:"user"`
		Conversation   string     `yaml:"conversation"`
		Status         string     `yaml:"status"`
		Count          *int       `yaml:"count"`
		Until          *time.Time `yaml:"until"`
		Reason         *string    `yaml:"reason"`
		By             *string    `yaml:"by"`
		LiftedBy       *string    `yaml:"lifted_by"`
		ConversationID *string    `yaml:"conversation_id"`
	}
	if err := arg.Decode(&p); err != nil {
		return err
	}
	q := contextstore.BlockQuery{UserID: p.User, ConversationID: p.Conversation, Status: contextstore.BlockStatus(p.Status), At: s.Sys.Clock.Now()}
	switch {
	case p.User != "":
		q.Kinds = []contextstore.BlockKind{contextstore.KindUser}
	case p.Conversation != "":
		q.Kinds = []contextstore.BlockKind{contextstore.KindConversation}
		q.ConversationID = p.Conversation
	default:
		return errors.New("expect_blocks needs user or conversation")
	}
	if p.User != "" && p.ConversationID != nil {
		q.ConversationID = ""
	}
	views, err := a.Blocking.List(ctx, q)
	if err != nil {
		return err
	}
	var diffs []string
	if p.Count != nil && len(views) != *p.Count {
		diffs = append(diffs, fmt.Sprintf("count: expected %d, got %d", *p.Count, len(views)))
	}
	if len(views) > 0 {
		b := views[0].Block
		check := func(name string, want *string, got string) {
			if want != nil && *want != got {
				diffs = append(diffs, fmt.Sprintf("%s: expected %q, got %q", name, *want, got))
			}
		}
		check("reason", p.Reason, b.Reason)
		check("by", p.By, b.CreatedBy)
		check("lifted_by", p.LiftedBy, b.LiftedBy)
		check("conversation_id", p.ConversationID, b.ConversationID)
		if p.Until != nil && (b.Until == nil || !b.Until.Equal(*p.Until)) {
			diffs = append(diffs, fmt.Sprintf("until: expected %s, got %v", p.Until.UTC().Format(time.RFC3339), b.Until))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("blocks differ:\n  %s", strings.Join(diffs, "\n  "))
	}
	return nil
}

func (a *App) cmdAdminBan(ctx context.Context, _ *flowtest.Session, arg *yaml.Node) error {
	var p struct {
		IP       string   `yaml:"ip"`
		Range    string   `yaml:"range"`
		Allow    bool     `yaml:"allow"`
		Period   string   `yaml:"period"`
		Reason   string   `yaml:"reason"`
		Notes    string   `yaml:"notes"`
		By       string   `yaml:"by"`
		Channels []string `yaml:"channels"`
	}
	if err := arg.Decode(&p); err != nil {
		return err
	}
	nb := blocking.NewBlock{IP: p.IP, Range: p.Range, Allow: p.Allow, Channels: p.Channels, ReasonCategory: p.Reason, Notes: p.Notes, Actor: p.By}
	nb.Kind = contextstore.KindIP
	if p.Range != "" {
		nb.Kind = contextstore.KindRange
	}
	if p.Period == "" {
		p.Period = "permanent"
	}
	per, err := blocking.ParsePeriod(p.Period)
	if err != nil {
		return err
	}
	nb.Period = per
	_, err = a.Sanctions.Block(ctx, nb)
	return err
}

func (a *App) cmdAdminUnblockUser(ctx context.Context, _ *flowtest.Session, arg *yaml.Node) error {
	var p struct {
		User  string `yaml:"user"`
		By    string `yaml:"by"`
		Notes string `yaml:"notes"`
	}
	if err := arg.Decode(&p); err != nil {
		return err
	}
	n, err := a.Sanctions.UnblockUser(ctx, p.User, p.By, p.Notes)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("user %s had no active block to lift", p.User)
	}
	return nil
}

func (a *App) cmdAdminLift(ctx context.Context, s *flowtest.Session, arg *yaml.Node) error {
	var p struct {
		Conversation string `yaml:"conversation"`
		By           string `yaml:"by"`
		Notes        string `yaml:"notes"`
	}
	if err := arg.Decode(&p); err != nil {
		return err
	}
	views, err := a.Blocking.List(ctx, contextstore.BlockQuery{
		Kinds: []contextstore.BlockKind{contextstore.KindConversation}, ConversationID: p.Conversation,
		Status: contextstore.StatusActive, At: s.Sys.Clock.Now(),
	})
	if err != nil {
		return err
	}
	if len(views) == 0 {
		return fmt.Errorf("conversation %s has no active block to lift", p.Conversation)
	}
	for _, v := range views {
		if _, err := a.Sanctions.Lift(ctx, v.Block.ID, p.By, p.Notes); err != nil {
			return err
		}
	}
	return nil
}
