package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/flows"
	"github.com/chatflow/chatflow/internal/app"
)

// reloadOnHangup reloads the flows on every SIGHUP until ctx is done: the
// new set is validated first and refused as a whole, with every problem
// logged and the old set kept, if anything is wrong.
func reloadOnHangup(ctx context.Context, a *app.App, log *zap.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		n, warns, err := a.ReloadFlows()
		if le, ok := errors.AsType[*flows.LoadError](err); ok {
			for _, p := range le.Problems {
				log.Error("flow reload refused; the old flows stay", zap.String("problem", p.String()))
			}
			continue
		}
		if err != nil {
			log.Error("flow reload failed; the old flows stay", zap.Error(err))
			continue
		}
		for _, p := range warns {
			log.Warn("flow warning", zap.String("problem", p.String()))
		}
		log.Info("flows reloaded on SIGHUP", zap.Int("flows", n))
	}
}
