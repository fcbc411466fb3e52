package setup

import (
	"context"
	"testing"
	"time"

	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell"
	"github.com/crdb-logexport/crdb-logexport/wizard/shell/shelltest"
)

// config is setup against a sandbox, with the API key in the environment
// and short waits.
func config(build shelltest.Build) Config {
	return Config{
		Connect:      steps.ConnectTask{Build: build},
		Input:        steps.SetupInput{ExternalID: steps.ExternalIDAuto},
		Apply:        shelltest.FastApply,
		StreamsEvery: 100 * time.Millisecond,
	}
}

// program opens setup on a shell (accessible, or not); the tasks it
// leads to are stubs.
func program(cfg Config, accessible bool) *shell.Program {
	return programOn(shell.New(context.Background(), accessible, nil), cfg)
}

func programOn(sh *shell.Shell, cfg Config) *shell.Program {
	return shelltest.ProgramOn(sh, shell.TaskSetup, func(sh *shell.Shell) shell.Task { return New(sh, cfg) })
}

// start opens setup at w×h.
func start(t *testing.T, cfg Config, w, h int) *shelltest.Harness {
	t.Helper()
	return shelltest.New(t, program(cfg, false), w, h)
}

func task(hs *shelltest.Harness) *Model {
	m, _ := hs.P.Task().(*Model)
	return m
}

// atStage waits for setup to be connected and at st (asking: with a form).
func atStage(hs *shelltest.Harness, st stage) {
	hs.T.Helper()
	hs.Until("stage "+st.String(), 15*time.Second, func() bool {
		m := task(hs)
		return m != nil && !hs.P.Ended() && !m.Conn.Active() && m.stage == st && (st != asking && st != pickingRole || hs.P.Shell().Form() != nil)
	})
}

func atQuestion(hs *shelltest.Harness, id string) {
	hs.T.Helper()
	hs.Until("question "+id, 15*time.Second, func() bool {
		m := task(hs)
		return m != nil && !m.Conn.Active() && m.stage == asking && questions[m.qi].id == id && hs.P.Shell().Form() != nil
	})
}

// atConnect waits for connecting to ask at step (the cluster, or a
// failure there when failed).
func atConnect(hs *shelltest.Harness, step string, failed bool) {
	hs.T.Helper()
	hs.Until("connecting at "+step, 15*time.Second, func() bool {
		m := task(hs)
		if m == nil || !m.Conn.Active() || hs.P.Shell().Form() == nil {
			return false
		}
		s, f := m.Conn.Step()
		return s == step && f == failed
	})
}

// toRoleARN goes from the log group question to the role ARN's, with the
// defaults and "I already have a role".
func toRoleARN(hs *shelltest.Harness) {
	hs.T.Helper()
	atQuestion(hs, qLogGroup)
	hs.Enter() // log group
	hs.Enter() // retention
	atQuestion(hs, qRoleMode)
	hs.Key("down")
	hs.Enter()
	atQuestion(hs, qRoleARN)
}

// createRoleDefaults goes from the role question to the plan: a role
// setup creates, with every default.
func createRoleDefaults(hs *shelltest.Harness) {
	hs.T.Helper()
	atQuestion(hs, qRoleMode)
	hs.Enter()
	atQuestion(hs, qRoleNames)
	hs.Enter() // role name
	hs.Enter() // policy name
	hs.Enter() // regions
	atQuestion(hs, qExternalID)
	hs.Enter()
	atStage(hs, planned)
}

// answerDefaults goes from the cluster list to the plan accepting every
// default, as `make demo` with enter at each prompt does.
func answerDefaults(t *testing.T, hs *shelltest.Harness) {
	t.Helper()
	atConnect(hs, steps.StepCluster, false)
	if !hs.Has("> prod-aws") {
		t.Fatalf("prod-aws is not preselected:\n%s", hs.Screen())
	}
	hs.Enter()
	atQuestion(hs, qLogGroup)
	if !hs.Has("crdb-prod-aws") {
		t.Fatalf("log group default missing:\n%s", hs.Screen())
	}
	hs.Enter() // log group
	hs.Enter() // retention
	createRoleDefaults(hs)
}
