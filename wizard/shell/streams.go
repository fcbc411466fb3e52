package shell

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/crdb-logexport/crdb-logexport/steps"
)

// Streams keeps the logs arriving in each region of a log group fresh
// while an outcome is on screen (setup's summary, update's result): it
// reads them again every Every. Accessible mode, whose outcome is printed
// once, reads nothing.
type Streams struct {
	sh    *Shell
	every time.Duration
	seq   int
	group string
	rs    []string
	into  map[string]steps.RegionStreams
}

// NewStreams reads every every (2 s when 0).
func NewStreams(sh *Shell, every time.Duration) *Streams {
	if every <= 0 {
		every = 2 * time.Second
	}
	return &Streams{sh: sh, every: every}
}

type (
	streamsMsg struct {
		s       *Streams
		seq     int
		streams []steps.RegionStreams
	}
	streamsDueMsg struct {
		s   *Streams
		seq int
	}
)

// Follow reads group in regions from now on, into into; it ends what was
// followed before.
func (s *Streams) Follow(group string, regions []string, into map[string]steps.RegionStreams) tea.Cmd {
	s.seq++
	s.group, s.rs, s.into = group, regions, into
	if s.sh.Accessible {
		return nil
	}
	return s.read()
}

// Stop reads no more.
func (s *Streams) Stop() { s.seq++ }

func (s *Streams) read() tea.Cmd {
	ctx, env, group, regions, seq := s.sh.Ctx, s.sh.Session.Env, s.group, s.rs, s.seq
	return func() tea.Msg {
		return streamsMsg{s: s, seq: seq, streams: steps.ReadAllStreams(ctx, env, group, regions)}
	}
}

// Update takes the reads' messages; it reports whether msg was one.
func (s *Streams) Update(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case streamsMsg:
		if msg.s != s {
			return nil, false
		}
		if msg.seq != s.seq {
			return nil, true
		}
		for _, rs := range msg.streams {
			s.into[rs.Region] = rs
		}
		seq := s.seq
		return tea.Tick(s.every, func(time.Time) tea.Msg { return streamsDueMsg{s: s, seq: seq} }), true
	case streamsDueMsg:
		if msg.s != s {
			return nil, false
		}
		if msg.seq != s.seq {
			return nil, true
		}
		return s.read(), true
	}
	return nil, false
}
