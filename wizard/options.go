package wizard

import (
	"context"
	"io"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
)

// Start says where the interface opens.
type Start int

// Where the interface opens.
const (
	// StartMenu opens the home menu (`crdb-logexport` on a terminal).
	StartMenu Start = iota
	// StartSetup opens the guided setup directly (`crdb-logexport setup`).
	StartSetup
	// StartStatus follows one cluster's export live (`status --watch`).
	StartStatus
	// StartDoctor opens the doctor's report.
	StartDoctor
	// StartUpdate opens the guided update (`update` without --yes).
	StartUpdate
	// StartDisable opens the disable confirmation (`disable` without --yes).
	StartDisable
)

// Options configure a run of the interface.
type Options struct {
	// In and Out are the terminal: the interface reads keys from In and
	// draws on Out (standard error; results go to standard output, which
	// the caller writes once the interface has ended).
	In  io.Reader
	Out io.Writer
	// Environ is the environment the colour profile is detected from
	// (os.Environ() when nil).
	Environ []string
	// Profile forces a colour profile (tests; NO_COLOR is honoured through
	// Environ otherwise). colorprofile.Unknown means detect.
	Profile colorprofile.Profile
	// Width and Height preset the terminal size (tests); the terminal's own
	// size is used when zero.
	Width, Height int

	Start Start
	// Input holds the answers given as flags (--cluster and the rest);
	// the wizard asks only for what is missing and preselects the rest.
	Input steps.SetupInput
	// Update holds the changes given as flags to `update` (its Cluster is
	// Input.Cluster); the update screens start from them.
	Update steps.UpdateInput
	// Disable holds the choices given as flags to `disable`.
	Disable steps.DisableInput
	// Doctor tunes the doctor's checks and fixes (tests shorten waits).
	Doctor steps.DoctorOptions
	Fix    steps.FixOptions
	// APIKeySource names where the CockroachDB Cloud API key comes from
	// (for example "COCKROACH_API_KEY"). Empty means there is none, and the
	// wizard asks for it with a masked prompt.
	APIKeySource string
	// Connect builds the clients. apiKey is what the user typed at the
	// masked prompt, or "" when APIKeySource provides the key. It is called
	// inside a command, never in Update.
	Connect func(ctx context.Context, apiKey string) (*steps.Env, error)
	// Apply tunes steps.ApplySetup (tests shorten its waits).
	Apply steps.SetupOptions
	// StreamsEvery is how often the summary refreshes the logs arriving in
	// each region (default 2 s).
	StreamsEvery time.Duration
	// ResumeCommand is the command line that repeats this setup, without
	// the answers the wizard adds ("crdb-logexport setup" plus connection
	// flags). ResumeHint, when set, replaces the resume advice entirely
	// (the demo's sandbox does not outlive the process).
	ResumeCommand string
	ResumeHint    string
	// Badge is shown in the header, e.g. "demo · sandbox on loopback".
	Badge string
	// Now is the clock for elapsed times and ages (time.Now when nil).
	Now func() time.Time
}

func (o *Options) streamsEvery() time.Duration {
	if o.StreamsEvery > 0 {
		return o.StreamsEvery
	}
	return 2 * time.Second
}

// Outcome is how a run of the interface ended.
type Outcome = shell.Outcome

// Outcomes.
const (
	Left      = shell.Left
	Completed = shell.Completed
	Aborted   = shell.Aborted
	Failed    = shell.Failed
)

// Result is what the caller reports once the interface has ended.
type Result = shell.Result
