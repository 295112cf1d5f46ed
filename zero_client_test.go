package vlens

// The zero Client (issue 14, item 9): a Client not built by NewClient, or a
// nil *Client, fails every call with an error that says so, and prints.

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientNotCreatedWithNewClientFailsEveryCall(t *testing.T) {
	t.Parallel()
	var zero Client
	var nilClient *Client
	for name, c := range map[string]*Client{"zero Client": &zero, "nil *Client": nilClient} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			calls := map[string]func() error{
				"CreateAuthSession": func() error { _, err := c.CreateAuthSession(ctx, validInput()); return err },
				"CreateInvitation":  func() error { _, err := c.CreateInvitation(ctx, CreateInvitationInput{}); return err },
				"Login":             func() error { _, err := c.Login(ctx, AdminCredentials{}); return err },
				"RefreshAdminToken": func() error { _, err := c.RefreshAdminToken(ctx, "refresh"); return err },
			}
			for method, call := range calls {
				var err error
				require.NotPanics(t, func() { err = call() }, method)
				require.Error(t, err, method)
				assert.Contains(t, err.Error(), "Client not created with NewClient", method)
			}
			assert.NotPanics(t, c.CloseIdleConnections)
			assert.NotPanics(t, func() {
				_ = fmt.Sprintf("%v %+v %#v %s %d", c, c, c, c, c)
				_ = c.String()
				_ = c.GoString()
			})
		})
	}
	assert.NotPanics(t, func() { _ = fmt.Sprintf("%v %+v %#v", zero, zero, zero) })
}
