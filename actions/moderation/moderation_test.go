package moderation_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/chatflow/chatflow/actions"
	"github.com/chatflow/chatflow/actions/moderation"
	"github.com/chatflow/chatflow/contextstore"
)

type fakeChecker struct {
	st  moderation.Standing
	err error
}

func (f fakeChecker) Standing(context.Context, *contextstore.Conversation, time.Time) (moderation.Standing, error) {
	return f.st, f.err
}

func check(t *testing.T, d moderation.Deps, params map[string]any) (actions.Result, error) {
	t.Helper()
	reg := actions.NewRegistry()
	moderation.Register(reg, d)
	return reg.Invoke(t.Context(), &actions.Call{Action: moderation.Check, Params: params,
		Conversation: &contextstore.Conversation{ID: "c1"}, Now: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)}, false)
}

// TestCheck: the standing as @InternalActionResult, and Warn when the
// visitor is WarnWithin strikes or fewer short of the one that completes
// an offence (never with no recent strike).
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		st     moderation.Standing
		params map[string]any
		want   map[string]any
	}{
		{"clean", moderation.Standing{Ladder: 3, Next: "1h"}, nil,
			map[string]any{"Strikes": 0, "Recent": 0, "ToOffence": 2, "Offences": 0, "NextPeriod": "1h", "Warn": false}},
		{"one strike, default: no warning yet", moderation.Standing{Strikes: 1, Recent: 1, Ladder: 3, Next: "1h"}, nil,
			map[string]any{"Strikes": 1, "Recent": 1, "ToOffence": 1, "Offences": 0, "NextPeriod": "1h", "Warn": false}},
		{"one strike, WarnWithin 1", moderation.Standing{Strikes: 1, Recent: 1, Ladder: 3, Next: "1h"}, map[string]any{"WarnWithin": 1},
			map[string]any{"Strikes": 1, "Recent": 1, "ToOffence": 1, "Offences": 0, "NextPeriod": "1h", "Warn": true}},
		{"the next strike is an offence", moderation.Standing{Strikes: 5, Recent: 2, Ladder: 3, Offences: 1, Next: "1d"}, nil,
			map[string]any{"Strikes": 5, "Recent": 2, "ToOffence": 0, "Offences": 1, "NextPeriod": "1d", "Warn": true}},
		{"an old offence, no recent strike", moderation.Standing{Strikes: 3, Ladder: 3, Offences: 1, Next: "1d"}, map[string]any{"WarnWithin": 5},
			map[string]any{"Strikes": 3, "Recent": 0, "ToOffence": 2, "Offences": 1, "NextPeriod": "1d", "Warn": false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := check(t, moderation.Deps{Checker: fakeChecker{st: tc.st}}, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Value, tc.want) {
				t.Errorf("result = %#v\nwant %#v", res.Value, tc.want)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	if _, err := check(t, moderation.Deps{}, nil); err == nil || err.Error() != "moderation services are not configured" {
		t.Errorf("without a checker: %v", err)
	}
	boom := errors.New("store down")
	if _, err := check(t, moderation.Deps{Checker: fakeChecker{err: boom}}, nil); !errors.Is(err, boom) || err.Error() != "reading the strikes of c1: store down" {
		t.Errorf("checker failure: %v", err)
	}
	if _, err := check(t, moderation.Deps{Checker: fakeChecker{}}, map[string]any{"WarnWithin": -1}); !errors.Is(err, actions.ErrInvalidParams) {
		t.Errorf("WarnWithin -1: %v, want ErrInvalidParams", err)
	}
}
