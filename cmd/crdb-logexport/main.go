// Command crdb-logexport sets up, checks and repairs CockroachDB Cloud log
// export to Amazon CloudWatch.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/cmd/internal/root"
)

func main() {
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return root.Run(ctx, cmdutil.System(), os.Args[1:])
}
