package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// Session is what a person's run of the interface has connected to: the
// clients, who they act as, and the cluster chosen. Tasks opened one after
// another share it, so connecting happens once.
type Session struct {
	Env     *Env
	Conn    *Connection
	Cluster cloudapi.Cluster
	// Chosen: Cluster was chosen (a zero Cluster is not a choice).
	Chosen bool
}

// ConnectTask is how the interface connects before a task.
type ConnectTask struct {
	// Build makes the clients. apiKey is what the person typed, "" when
	// the environment gives the key.
	Build func(ctx context.Context, apiKey string) (*Env, error)
	// AskKey: nothing gives the key, so it is asked for (masked).
	AskKey bool
	// ClusterRef is --cluster: only that cluster is read and chosen.
	ClusterRef string
	// KeepCluster keeps the session's cluster (a task opened from another
	// on the same cluster); otherwise the cluster is chosen again.
	KeepCluster bool
	// ForSetup refuses a cluster CloudWatch export does not apply to, with
	// the offer to choose another; other tasks say themselves what they
	// can do with it.
	ForSetup bool
}

// The decisions of connecting.
const (
	ChoiceConnectFailed  = "connect.failed"
	ChoiceNoClusters     = "connect.no-clusters"
	ChoiceNotApplicable  = "connect.not-applicable"
	OptRekey             = "rekey"
	errNoClustersMessage = "the API key's organization has no clusters"
)

// ClusterChosen is the cluster a task works on.
type ClusterChosen struct {
	Cluster  cloudapi.Cluster
	ForSetup bool
}

func (ClusterChosen) event() {}

// RunConnect connects (unless s already is) and chooses the cluster, the
// way every task of the interface begins. It returns the session to work
// in; it emits Connected and ClusterChosen as it gets there.
func RunConnect(ctx context.Context, t ConnectTask, s Session, p Prompter, l Listener) (Session, End) {
	key, askKey := "", t.AskKey
	for {
		if s.Conn == nil {
			if askKey {
				q := &APIKeyQuestion{}
				if err := p.Answer(ctx, q); err != nil {
					return s, stopped(End{}, err)
				}
				key = strings.TrimSpace(q.Key)
			}
			l.emit(Working{Stage: StageConnect})
			env, conn, err := connectWith(ctx, t, key)
			if err != nil {
				if ctx.Err() != nil {
					return s, stopped(End{Err: err}, ctx.Err())
				}
				l.emit(Failure{Stage: StageConnect, Err: err})
				opts := []Option{{OptRetry, "Try again"}, {OptQuit, "Quit"}}
				if t.AskKey && cloudapi.IsUnauthenticated(err) {
					opts = append([]Option{{OptRekey, "Enter the API key again"}}, opts...)
				}
				c, cerr := p.Choose(ctx, Choice{ID: ChoiceConnectFailed, Title: "What now?", Options: opts, Unattended: OptQuit})
				switch {
				case cerr != nil:
					return s, stopped(End{Err: err}, cerr)
				case c == OptRekey:
					askKey = true
				case c == OptRetry:
					askKey = false
				default:
					return s, End{Ending: Failed, Err: err}
				}
				continue
			}
			// The key has served its purpose: the client holds it.
			key = ""
			s = Session{Env: env, Conn: conn}
			l.emit(Connected{Conn: conn, Env: env})
		}
		if t.KeepCluster && s.Chosen {
			l.emit(ClusterChosen{Cluster: s.Cluster, ForSetup: t.ForSetup})
			return s, End{Ending: Completed}
		}
		c, end, again := chooseCluster(ctx, t, s, p, l)
		if again {
			s.Conn = nil
			continue
		}
		if end.Ending != Completed {
			return s, end
		}
		s.Cluster, s.Chosen = c, true
		l.emit(ClusterChosen{Cluster: c, ForSetup: t.ForSetup})
		return s, end
	}
}

func connectWith(ctx context.Context, t ConnectTask, key string) (*Env, *Connection, error) {
	env, err := t.Build(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	conn, err := Connect(ctx, env, t.ClusterRef)
	return env, conn, err
}

// chooseCluster asks for the cluster (the one --cluster names is taken as
// it is). again asks to connect again.
func chooseCluster(ctx context.Context, t ConnectTask, s Session, p Prompter, l Listener) (c cloudapi.Cluster, end End, again bool) {
	clusters := s.Conn.Clusters
	chosen := ""
	if s.Chosen {
		chosen = s.Cluster.ID
	}
	var exports map[string]ClusterSummary
	for {
		switch {
		case t.ClusterRef != "" && len(clusters) == 1:
			c = clusters[0]
		case len(clusters) == 0:
			err := errors.New(errNoClustersMessage)
			l.emit(Failure{Stage: StageConnect, Err: err})
			ch, cerr := p.Choose(ctx, Choice{ID: ChoiceNoClusters, Title: "What now?", Options: []Option{{OptRetry, "Try again"}, {OptQuit, "Quit"}}, Unattended: OptQuit})
			switch {
			case cerr != nil:
				return c, stopped(End{Err: err}, cerr), false
			case ch == OptRetry:
				return c, End{}, true
			}
			return c, End{Ending: Failed, Err: err}, false
		default:
			if exports == nil {
				l.emit(Working{Stage: StageClusterExports})
				// For setup, the export of a cluster it cannot choose is
				// not read: the row says why instead.
				exports = ClusterExports(ctx, s.Env, clusters, func(cl cloudapi.Cluster) bool { return !t.ForSetup || cl.CheckCloudWatch() == nil }, ExportGlanceWait)
				if err := ctx.Err(); err != nil {
					return c, stopped(End{}, err), false
				}
			}
			q := &ClusterQuestion{Clusters: clusters, Chosen: firstNonEmpty(chosen, defaultCluster(clusters)), Exports: exports, ForSetup: t.ForSetup}
			if err := p.Answer(ctx, q); err != nil {
				return c, stopped(End{}, err), false
			}
			for _, x := range clusters {
				if x.ID == q.Chosen {
					c = x
				}
			}
			chosen = c.ID
		}
		err := c.CheckCloudWatch()
		if err == nil || !t.ForSetup {
			return c, End{Ending: Completed}, false
		}
		l.emit(NotApplicable{Cluster: c, Err: err})
		opts := []Option{{OptQuit, "Quit"}}
		if t.ClusterRef == "" && len(clusters) > 1 {
			opts = append([]Option{{OptOtherCluster, "Choose another cluster"}}, opts...)
		}
		ch, cerr := p.Choose(ctx, Choice{ID: ChoiceNotApplicable, Title: "What now?", Options: opts, Unattended: OptQuit})
		switch {
		case cerr != nil:
			return c, stopped(End{}, cerr), false
		case ch == OptOtherCluster:
			continue
		}
		return c, End{Ending: Failed, Err: fmt.Errorf("%w: %v", ErrNotApplicable, err)}, false
	}
}

// defaultCluster is the cluster selected first: the first one log export
// to CloudWatch applies to.
func defaultCluster(clusters []cloudapi.Cluster) string {
	for _, c := range clusters {
		if c.CheckCloudWatch() == nil {
			return c.ID
		}
	}
	if len(clusters) > 0 {
		return clusters[0].ID
	}
	return ""
}
