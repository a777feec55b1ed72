package app_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/moderation"
)

// TestTwoInstancesShareLimitsAndStrikes: two instances on one Redis
// (standalone and Cluster) share the message limit of a conversation
// (redis_rate) and the visitor's strikes, so a flood spread over both is
// throttled as one and the third strike — wherever it lands — completes
// the offence: one block by automod:conversation_messages.
func TestTwoInstancesShareLimitsAndStrikes(t *testing.T) {
	for name, addrs := range redisDeployments(t) {
		t.Run(name, func(t *testing.T) {
			p := newTwoInstances(t, instanceOptions{addrs: addrs})
			insts := []*flows.Executor{p.A.Executor, p.B.Executor}
			allowed, refused, blocked := 0, 0, 0
			// Redis's clock decides the limits: the 16 messages go out
			// within well under the 3 s one token takes to come back.
			for i := range 16 {
				res, err := insts[i%2].Handle(t.Context(), flows.Event{Type: flows.EventMessage, ConversationID: "shared-flood",
					Text: "spam", Key: fmt.Sprint("m", i), VisitorIP: "198.51.100.7"})
				switch le := (*moderation.LimitError)(nil); {
				case errors.As(err, &le):
					refused++
				case err != nil:
					t.Fatalf("message %d: %v", i, err)
				case res.Conversation.Info.Blocked:
					blocked++
				default:
					allowed++
				}
			}
			if allowed != 10 || refused < 3 || blocked < 1 {
				t.Fatalf("allowed %d, refused %d, blocked %d: want the burst of 10 allowed over both instances, then refusals and a block", allowed, refused, blocked)
			}
			c, err := p.storeB.GetConversation(t.Context(), "shared-flood")
			if err != nil {
				t.Fatal(err)
			}
			subj := p.B.Moderation.VisitorSubject(c)
			for _, a := range []*moderation.Service{p.A.Moderation, p.B.Moderation} {
				st, err := a.Strikes(t.Context(), subj)
				if err != nil || st.Standing.Strikes != 2+1 || st.Standing.Offences != 1 {
					t.Errorf("standing seen by an instance: %+v, %v; want 3 strikes and 1 offence on both", st.Standing, err)
				}
			}
			blocks, err := p.storeA.ListBlocks(t.Context(), contextstore.BlockQuery{ConversationID: "shared-flood"})
			if err != nil || len(blocks) != 1 || blocks[0].CreatedBy != "automod:conversation_messages" {
				t.Fatalf("blocks %v, %v: want one automatic block", blocks, err)
			}
		})
	}
}
