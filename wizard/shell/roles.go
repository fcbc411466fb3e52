package shell

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Roles follows a policy ARN given where a role's belongs (setup's and
// update's role questions): the roles it is attached to are looked up and
// offered instead, with the task's other ways on.
type Roles struct {
	sh *Shell
	// For is the policy ARN; Found and Err what the lookup found.
	For   string
	Found []string
	Err   error
	// Pick is the option taken: a role ARN, or one of the task's others.
	Pick    string
	looking bool
	others  []huh.Option[string]
}

// NewRoles is the lookup on sh; others are offered after the roles found
// (another ARN, another way to the role).
func NewRoles(sh *Shell, others ...huh.Option[string]) *Roles {
	return &Roles{sh: sh, others: others}
}

type rolesMsg struct {
	r     *Roles
	arn   string
	roles []string
	err   error
}

// Look looks up the roles arn is attached to.
func (r *Roles) Look(arn string) tea.Cmd {
	r.For, r.Found, r.Err, r.looking = arn, nil, nil, true
	r.sh.SetForm(nil)
	ctx, env := r.sh.Ctx, r.sh.Session.Env
	return tea.Batch(func() tea.Msg {
		roles, err := awsiam.RolesForPolicy(ctx, env.AWS.IAM, arn)
		return rolesMsg{r: r, arn: arn, roles: roles, err: err}
	}, r.sh.SpinTick())
}

// Looking reports whether the lookup runs.
func (r *Roles) Looking() bool { return r.looking }

// Update takes the lookup's answer and offers the roles found, then the
// others; it reports whether msg was the answer.
func (r *Roles) Update(msg tea.Msg) (tea.Cmd, bool) {
	m, ok := msg.(rolesMsg)
	if !ok || m.r != r || !r.looking || m.arn != r.For {
		return nil, false
	}
	r.looking, r.Found, r.Err = false, m.roles, m.err
	opts := make([]huh.Option[string], 0, len(m.roles)+len(r.others))
	for _, role := range m.roles {
		opts = append(opts, huh.NewOption("Use "+role, role))
	}
	opts = append(opts, r.others...)
	r.Pick = opts[0].Value
	title := "Which role?"
	if len(m.roles) == 0 {
		title = "What now?"
	}
	// Accessible mode says what was found; the screen shows it above.
	found := "This is a policy ARN, not a role ARN. " + kit.ARNWarning(r.For) + "\n" + kit.RolesFound(m.roles, m.err)
	k := r.sh.Forms
	return r.sh.SetForm(k.Form(huh.NewGroup(huh.NewSelect[string]().Title(k.Title(title, found, "")).Options(opts...).Value(&r.Pick)))), true
}

// View is the warning with the lookup under way, or with what it found
// and the pick.
func (r *Roles) View(w int) string {
	s := r.sh.Styles
	warning := kit.RoleARNWarning(r.For, "", s, w)
	if r.looking {
		return warning + "\n\n" + kit.SpinnerLine(r.sh.Spin.View(), kit.StageText(steps.StageRolesLookup, "", ""), w)
	}
	return warning + "\n\n" + kit.Wrap(kit.RolesFound(r.Found, r.Err), w) + "\n" + r.sh.FormView()
}
