package moderation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/schemas"
)

// Check is the action's name.
const Check = "Moderation.Check"

// Standing is a visitor's standing on automatic moderation's ladder: the
// worst of their subjects (the user or the keyed IP hash, and the
// conversation).
type Standing struct {
	// Strikes are the violations within the decay period.
	Strikes int
	// Recent are the strikes since the last offence within the ladder's
	// window; an offence needs Ladder of them.
	Recent int
	// Ladder is how many recent strikes make an offence.
	Ladder int
	// Offences are the sanctioned offences within the decay period.
	Offences int
	// Next is the period the next offence gets ("1h", "1d", "permanent").
	Next string
}

// Checker reads a conversation visitor's standing at now.
type Checker interface {
	Standing(ctx context.Context, c *contextstore.Conversation, now time.Time) (Standing, error)
}

// Deps are the services the action uses. Checker is required to run it
// (not to register it: `chatflow validate` and `chatflow actions` register
// with zero Deps). With automatic moderation off the app passes a Checker
// that reports a clean standing.
type Deps struct {
	Checker Checker
}

// errNoDeps is returned when the action is run without its service.
var errNoDeps = errors.New("moderation services are not configured")

// Register registers the moderation action with its parameter schema.
func Register(reg *actions.Registry, d Deps) {
	reg.Register(actions.Spec{
		Name: Check,
		Doc: "Returns the visitor's standing on automatic moderation's strikes ladder as an object: Strikes (within the decay period), " +
			"Recent (since the last offence, within the window), ToOffence (strikes left before the next offence: 0 when the next one completes it), " +
			"Offences, NextPeriod (\"1h\", \"1d\", \"permanent\") and Warn (true when ToOffence <= WarnWithin and the visitor has a recent strike). " +
			"Changes nothing: a flow branches on it, e.g. warns before handing over to an agent.",
		Params: schemas.MustRead("actions/" + Check + ".json"),
		New:    func() actions.Action { return &checkAction{d: d} },
	})
}

type checkAction struct{ d Deps }

var _ actions.Action = (*checkAction)(nil)

type checkParams struct {
	WarnWithin int
}

func (a *checkAction) Run(ctx context.Context, call *actions.Call) (actions.Result, error) {
	if a.d.Checker == nil {
		return actions.Result{}, errNoDeps
	}
	var p checkParams
	if err := call.Decode(&p); err != nil {
		return actions.Result{}, err
	}
	st, err := a.d.Checker.Standing(ctx, call.Conversation, call.Now)
	if err != nil {
		return actions.Result{}, fmt.Errorf("reading the strikes of %s: %w", call.Conversation.ID, err)
	}
	left := max(0, st.Ladder-st.Recent-1)
	warn := st.Recent > 0 && left <= p.WarnWithin
	call.Log().Debug("moderation standing", zap.Int("recent", st.Recent), zap.Int("offences", st.Offences), zap.Bool("warn", warn))
	return actions.Result{Value: map[string]any{
		"Strikes":    st.Strikes,
		"Recent":     st.Recent,
		"ToOffence":  left,
		"Offences":   st.Offences,
		"NextPeriod": st.Next,
		"Warn":       warn,
	}}, nil
}
