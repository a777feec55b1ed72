package moderation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// ErrUnknownRule is returned for a rule id the configuration does not have.
var ErrUnknownRule = errors.New("no such rule")

// SubjectStrikes is a subject's standing with its strikes and offences,
// for the portal.
type SubjectStrikes struct {
	Subject  string
	Standing Standing
	Strikes  []*contextstore.Strike
	Offences []*contextstore.Strike
}

// Strikes returns the standing, strikes and offences of subject within the
// decay period.
func (s *Service) Strikes(ctx context.Context, subject string) (SubjectStrikes, error) {
	now := s.o.Clock().UTC()
	out := SubjectStrikes{Subject: subject}
	var err error
	if out.Standing, err = s.Standing(ctx, subject, now); err != nil {
		return out, err
	}
	from := now.Add(-time.Duration(s.ladder.Decay))
	if out.Strikes, err = s.o.Store.ListStrikes(ctx, subject, from); err != nil {
		return out, err
	}
	if out.Offences, err = s.o.Store.ListStrikes(ctx, ladderSubject(subject), from); err != nil {
		return out, err
	}
	return out, nil
}

// ClearStrikes forgets subject's strikes and offences (the ladder starts
// again) and audits it as automod.strikes.clear by actor; the audit entry
// says how many, never whose. It returns how many strikes there were.
func (s *Service) ClearStrikes(ctx context.Context, subject, actor, notes string) (int, error) {
	if !validSubject(subject) {
		return 0, fmt.Errorf("moderation: %q is not a subject (user:, ip:, conv:)", subject)
	}
	n, err := s.o.Store.ClearStrikes(ctx, subject)
	if err != nil {
		return 0, err
	}
	m, err := s.o.Store.ClearStrikes(ctx, ladderSubject(subject))
	if err != nil {
		return n, err
	}
	kind, _, _ := strings.Cut(subject, ":")
	s.audit(ctx, s.o.Clock().UTC(), AuditClearStrikes, actor, map[string]string{
		"subject_kind": kind, "strikes": strconv.Itoa(n), "offences": strconv.Itoa(m), "notes": notes})
	return n, nil
}

func validSubject(s string) bool {
	kind, rest, ok := strings.Cut(s, ":")
	return ok && rest != "" && (kind == "user" || kind == "ip" || kind == "conv")
}

// RuleStats is one rule with its hits, for the portal.
type RuleStats struct {
	Rule   Rule
	Shadow bool
	// Hits within the period asked for, enforced and shadow, newest first.
	Hits     []*contextstore.Strike
	Enforced int
	Shadowed int
}

// Rules returns every rule with its hits since since (newest first, at
// most recent per rule).
func (s *Service) Rules(ctx context.Context, since time.Time, recent int) ([]RuleStats, error) {
	out := make([]RuleStats, 0, len(s.rules))
	for _, r := range s.rules {
		hits, err := s.o.Store.ListStrikes(ctx, "rule:"+r.ID, since)
		if err != nil {
			return nil, err
		}
		st := RuleStats{Rule: r, Shadow: s.Shadow(r.ID)}
		for i := len(hits) - 1; i >= 0; i-- {
			if hits[i].Details["shadow"] == "true" {
				st.Shadowed++
			} else {
				st.Enforced++
			}
			if len(st.Hits) < recent {
				st.Hits = append(st.Hits, hits[i])
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// SetShadow switches rule id between shadow and enforce mode on every
// instance: the switch is an audit entry (automod.rule.mode) that
// RefreshModes reads back, so it is durable, shared and audited at once.
func (s *Service) SetShadow(ctx context.Context, id string, shadow bool, actor string) error {
	if _, ok := s.ruleIdx[id]; !ok {
		return fmt.Errorf("%w %q", ErrUnknownRule, id)
	}
	if err := s.o.Store.AppendAudit(ctx, &contextstore.AuditEvent{At: s.o.Clock().UTC(), Actor: actor, Action: AuditRuleMode,
		Details: map[string]string{"rule": id, "shadow": strconv.FormatBool(shadow)}}); err != nil {
		return fmt.Errorf("moderation: recording the mode of rule %q: %w", id, err)
	}
	s.mu.Lock()
	s.shadow[id] = shadow
	s.mu.Unlock()
	return nil
}

// RefreshModes applies the latest mode switch of each rule from the audit
// log (another instance's switch included); rules never switched keep the
// configuration's mode.
func (s *Service) RefreshModes(ctx context.Context) error {
	if s.Off() || len(s.rules) == 0 {
		return nil
	}
	list, err := s.o.Store.ListAudit(ctx, contextstore.AuditQuery{Action: AuditRuleMode})
	if err != nil {
		return fmt.Errorf("moderation: reading rule modes: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range list { // in time order: the last one wins
		if _, ok := s.ruleIdx[e.Details["rule"]]; ok {
			s.shadow[e.Details["rule"]] = e.Details["shadow"] == "true"
		}
	}
	return nil
}
