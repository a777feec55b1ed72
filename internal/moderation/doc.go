// Package moderation is chatflow's automatic moderation: rate limits (over
// package ratelimit), watched-word rules (over package match) with the
// actions warn, censor, hold, flag and block and a shadow mode, strikes
// against subjects ("user:<id>", "ip:<keyed hash>", "conv:<id>") in a
// contextstore.StrikeStore, and a ladder that turns strikes into graduated,
// decaying sanctions.
//
// It decides and records; it imports neither flows nor actions. Sanctions
// go through a Sanctioner (the root adapts the blocking service and the
// sanctions effects to it), so an automatic block is an ordinary block with
// actor "automod:<rule or limit>". The root calls Message from an executor
// hook inside the turn, CheckStart and Allow from the HTTP layer, and Warn
// from an executor Update for an agent's warning.
//
// Config is the `moderation:` section of the configuration; its zero value
// is the defaults (DefaultLimits, DefaultLadder, no rules). Config.Check
// and LintFile report every problem at once with file:line:col.
package moderation
