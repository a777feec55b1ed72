package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/blocking"
	"github.com/chatflow/chatflow/internal/flowtest"
	"github.com/chatflow/chatflow/internal/moderation"
)

// cmdAgentWarn is `agent_warn: TEXT` (empty: the configured warning): the
// agent warns the current conversation's visitor (a strike), as POST
// /v1/agent/conversations/{id}/warn does. The bot's warning is the turn's
// reply.
func (a *App) cmdAgentWarn(ctx context.Context, s *flowtest.Session, arg *yaml.Node) error {
	var replies []string
	n := 0
	res, err := a.Executor.Update(ctx, s.Conversation, func(ctx context.Context, t *flows.Turn) error {
		n++
		_, err := a.Moderation.Warn(ctx, moderation.Message{Conversation: t.Conversation, Text: arg.Value,
			Cause: s.Conversation + "/script-warn:" + fmt.Sprint(s.Sys.Clock.Now().UnixNano()), Now: t.Now, Reply: t.Reply, Silence: t.Silence}, "script-agent")
		return err
	})
	if err != nil {
		return err
	}
	replies = res.Replies
	s.Replies, s.Last = replies, res
	return nil
}

// cmdExpectStrikes is `expect_strikes: {subject: visitor|conversation,
// strikes: N, offences: N, next: PERIOD}`: the standing on the ladder of
// the current conversation's visitor (default) or of the conversation.
func (a *App) cmdExpectStrikes(ctx context.Context, s *flowtest.Session, arg *yaml.Node) error {
	var p struct {
		Subject  string `yaml:"subject"`
		Strikes  *int   `yaml:"strikes"`
		Offences *int   `yaml:"offences"`
		Next     string `yaml:"next"`
	}
	if err := arg.Decode(&p); err != nil {
		return err
	}
	c, err := s.Conv(ctx)
	if err != nil {
		return err
	}
	var subject string
	switch p.Subject {
	case "", "visitor":
		if subject = a.Moderation.VisitorSubject(c); subject == "" {
			return errors.New("the conversation's visitor is no subject (no user, no public IP)")
		}
	case "conversation":
		subject = moderation.ConversationSubject(c.ID)
	default:
		return fmt.Errorf("expect_strikes: subject %q: use visitor or conversation", p.Subject)
	}
	st, err := a.Moderation.Standing(ctx, subject, s.Sys.Clock.Now())
	if err != nil {
		return err
	}
	var diffs []string
	if p.Strikes != nil && *p.Strikes != st.Strikes {
		diffs = append(diffs, fmt.Sprintf("strikes: expected %d, got %d", *p.Strikes, st.Strikes))
	}
	if p.Offences != nil && *p.Offences != st.Offences {
		diffs = append(diffs, fmt.Sprintf("offences: expected %d, got %d", *p.Offences, st.Offences))
	}
	if p.Next != "" {
		want, err := blocking.ParsePeriod(p.Next)
		if err != nil {
			return fmt.Errorf("expect_strikes: next: %w", err)
		}
		if want != st.Next {
			diffs = append(diffs, fmt.Sprintf("next: expected %s, got %s", want, st.Next))
		}
	}
	if len(diffs) > 0 {
		return errors.New(strings.Join(diffs, "; "))
	}
	return nil
}
