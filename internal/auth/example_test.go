package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/chatflow/chatflow/contextstore/memory"
	"github.com/chatflow/chatflow/internal/auth"
)

// The bootstrap admin creates an agent; the agent's token authenticates,
// and an agent may not manage accounts.
func Example() {
	ctx := context.Background()
	svc, err := auth.New(memory.New(), auth.Options{BootstrapAdminToken: "change-me-to-32-random-characters"})
	if err != nil {
		panic(err)
	}

	h := http.Header{"Authorization": {"Bearer change-me-to-32-random-characters"}}
	tok, _ := auth.BearerToken(h)
	root, _ := svc.Authenticate(ctx, tok)
	fmt.Println("bootstrap:", root.ID, root.Role)

	acct, agentToken, err := svc.CreateAccount(ctx, root, "Bob", "bob@example.com", auth.RoleAgent)
	if err != nil {
		panic(err)
	}
	fmt.Println("created:", acct.Name, acct.Role, len(agentToken), "characters")

	bob, _ := svc.Authenticate(ctx, agentToken)
	fmt.Println("agent:", bob.Email, bob.Role, bob.Role.AtLeast(auth.RoleSupervisor))

	_, err = svc.ListAccounts(ctx, bob)
	if errors.Is(err, auth.ErrForbidden) {
		svc.Deny(ctx, bob, "account.list", "") // the 403 is audited
		fmt.Println("agent listing accounts: forbidden")
	}
	// Output:
	// bootstrap: bootstrap-admin admin
	// created: Bob agent 43 characters
	// agent: bob@example.com agent false
	// agent listing accounts: forbidden
}
