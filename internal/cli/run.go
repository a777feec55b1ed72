package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
	"github.com/chatflow/chatflow/internal/clock"
	"github.com/chatflow/chatflow/internal/flowtest"
)

const runHelp = `Type a message to talk to the bot, or a command:
  /login USERID [NAME]     start a new conversation as an authenticated user
  /anon [IP]               start a new anonymous conversation (optionally from IP)
  /advance DURATION        move the clock (90m, 24h, 1d, 1w) — blocks expire on read
  /context                 show the conversation context (entities and variables)
  /agent-disconnect [block] [spam] [reason=CATEGORY] [minutes=N] [notes=TEXT] [agent=EMAIL]
                           the agent leaves with feedback; runs the agent_disconnected flow
  /end                     end the conversation
  /help                    this text
  /quit                    leave
`

// repl is the state of `chatflow run`.
type repl struct {
	a     *app.App
	clk   *clock.Fake
	out   io.Writer
	conv  string
	user  *contextstore.ChatUser
	ip    string
	n     int
	event int
}

func (c *commands) cmdRun(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(out)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"run needs a flow directory (e.g. examples/flows)"}
	}
	clk := clock.NewFake(time.Now())
	a, err := app.New(ctx, app.Options{Store: memory.New(), FlowPaths: fs.Args(), Clock: clk.Now, Logger: zap.NewNop(), Actions: c.env.Actions})
	if err != nil {
		return err
	}
	r := &repl{a: a, clk: clk, out: out}
	fmt.Fprintf(out, "chatflow: %d flows loaded from %s. /help lists the commands.\n", len(a.Executor.Flows().Flows()), strings.Join(fs.Args(), ", "))
	if err := r.newConversation(ctx, nil, ""); err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	for {
		fmt.Fprint(out, "you> ")
		if !sc.Scan() {
			fmt.Fprintln(out)
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if line == "/quit" || line == "/exit" {
			return nil
		}
		if err := r.handle(ctx, line); err != nil {
			fmt.Fprintf(out, "error: %v\n", err)
		}
	}
}

func (r *repl) newConversation(ctx context.Context, user *contextstore.ChatUser, ip string) error {
	r.n++
	r.conv, r.user, r.ip = fmt.Sprintf("repl-%d", r.n), user, ip
	who := "anonymous"
	if user != nil {
		who = "user " + user.UserID
	}
	fmt.Fprintf(r.out, "-- conversation %s (%s) at %s\n", r.conv, who, r.clk.Now().Format(time.RFC3339))
	return r.send(ctx, flows.Event{Type: flows.EventStart})
}

func (r *repl) send(ctx context.Context, ev flows.Event) error {
	r.event++
	ev.ConversationID, ev.User, ev.VisitorIP, ev.Channel = r.conv, r.user, r.ip, "live_chat"
	ev.Key = "repl-" + strconv.Itoa(r.event)
	res, err := r.a.Executor.Handle(ctx, ev)
	if err != nil {
		return err
	}
	for _, rep := range res.Replies {
		fmt.Fprintf(r.out, "bot> %s\n", rep)
	}
	return nil
}

func (r *repl) handle(ctx context.Context, line string) error {
	if !strings.HasPrefix(line, "/") {
		return r.send(ctx, flows.Event{Type: flows.EventMessage, Text: line})
	}
	fields := strings.Fields(line)
	switch fields[0] {
	case "/help":
		fmt.Fprint(r.out, runHelp)
	case "/login":
		if len(fields) < 2 {
			return errors.New("usage: /login USERID [NAME]")
		}
		u := &contextstore.ChatUser{UserID: fields[1], IsAuthenticated: true, Name: strings.Join(fields[2:], " ")}
		return r.newConversation(ctx, u, r.ip)
	case "/anon":
		ip := ""
		if len(fields) > 1 {
			ip = fields[1]
		}
		return r.newConversation(ctx, nil, ip)
	case "/advance":
		if len(fields) != 2 {
			return errors.New("usage: /advance DURATION (e.g. 90m, 24h, 1d)")
		}
		d, err := flowtest.ParseDuration(fields[1])
		if err != nil {
			return err
		}
		r.clk.Advance(d)
		fmt.Fprintf(r.out, "-- clock is now %s\n", r.clk.Now().Format(time.RFC3339))
	case "/context":
		c, err := r.a.Store.GetConversation(ctx, r.conv)
		if err != nil {
			return err
		}
		view := map[string]any{"ConversationInfo": c.Info, "ChatUser": c.User, "HelpdeskClient": c.Helpdesk, "AgentFeedback": c.Feedback, "Vars": c.Vars, "Pins": c.Pins}
		if c.User.IsAuthenticated {
			if act, err := r.a.Store.GetActivity(ctx, c.User.UserID); err == nil {
				view["ChatActivityData"] = act
			}
		}
		b, _ := json.MarshalIndent(view, "", "  ")
		fmt.Fprintln(r.out, string(b))
	case "/agent-disconnect":
		fb := &contextstore.AgentFeedback{AgentEmail: "agent@example.com"}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "block":
				fb.Block = true
			case "spam":
				fb.MarkSpam = true
			case "reason":
				fb.ReasonCategory = v
			case "notes":
				fb.Notes = v
			case "agent":
				fb.AgentEmail = v
			case "minutes":
				n, err := strconv.Atoi(v)
				if err != nil {
					return fmt.Errorf("minutes=%q: not a number", v)
				}
				fb.BlockIntervalMinutes = n
			default:
				return fmt.Errorf("unknown feedback field %q", k)
			}
		}
		return r.send(ctx, flows.Event{Type: flows.EventAgentDisconnected, Feedback: fb})
	case "/end":
		return r.send(ctx, flows.Event{Type: flows.EventEnd})
	default:
		return fmt.Errorf("unknown command %s (/help lists them)", fields[0])
	}
	return nil
}
