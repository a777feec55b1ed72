// Package moderation holds the built-in action that lets flows see
// automatic moderation:
//
//   - Moderation.Check returns the standing of the conversation's visitor
//     on the strikes ladder (strikes, recent strikes, offences, the
//     period of the next offence, how many strikes are left before it)
//     as @InternalActionResult, and whether the visitor should be warned
//     (Warn: at most WarnWithin strikes short of an offence), so a flow
//     can warn before handing over to an agent.
//
// The action depends on a narrow interface (Checker) that internal/app
// satisfies with the moderation service, so it is tested with a fake and
// imports nothing of internal/.
package moderation
