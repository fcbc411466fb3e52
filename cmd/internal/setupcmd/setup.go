// Package setupcmd implements `crdb-logexport setup` (non-interactive with
// --yes, a plan with --dry-run) and `crdb-logexport policy`.
package setupcmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/wizard/kit"
)

// Options are the flags of `setup`.
type Options struct {
	IO   *cmdutil.IOStreams
	Conn cmdutil.Connection
	Out  cmdutil.OutputFlag

	In        steps.SetupInput
	Redact    bool
	Yes       bool
	DryRun    bool
	NoWait    bool
	Timeout   time.Duration
	Plan      cmdutil.PlanFlags
	flags     *pflag.FlagSet
	retention int
}

// NewCmd returns the setup command.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	o := &Options{IO: ios}
	o.Conn.IO = ios
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Set up log export to CloudWatch: log groups, IAM role and policy, and the export itself",
		Long: `Performs the ten documented steps of CockroachDB Cloud log export to CloudWatch:
the log group in every region the cluster has nodes in, the cross-account IAM
role trusted by the cluster's AWS account, the least-privilege permission
policy (on YOUR account's log group), and the export configuration — then
waits until the export is ENABLED and log streams appear.

Before changing anything it shows a plan (create / ok / change / conflict for
each step) from read-only calls. --dry-run stops there. --yes applies it
without asking. Every step is idempotent and progress is kept in a journal, so
running the same command again resumes an interrupted setup.`,
		Example: `  crdb-logexport setup --cluster prod-aws --dry-run
  crdb-logexport setup --cluster prod-aws --log-group crdb-prod --retention-days 90 --yes
  crdb-logexport setup --cluster standard-aws --yes --output json
  crdb-logexport setup --cluster prod-aws --role-arn arn:aws:iam::123456789012:role/MyRole --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.flags = cmd.Flags()
			return run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.Conn.Register(f)
	o.Out.Register(f)
	f.StringVar(&o.In.Cluster, "cluster", "", "cluster id or name")
	f.StringVar(&o.In.LogGroup, "log-group", "", "the CloudWatch log group (and log_name); default crdb-<cluster name>")
	f.IntVar(&o.retention, "retention-days", 0, fmt.Sprintf("retention of the log group: one of AWS's values (1, 3, 5, 7, 14, 30, …, 3653); default %d for new groups, existing groups are changed only when this is given", steps.DefaultRetentionDays))
	f.StringVar(&o.In.RoleName, "role-name", "", "name of the IAM role to create or verify (default: the role the export uses, else "+steps.DefaultRoleName+"-<cluster name>)")
	f.StringVar(&o.In.PolicyName, "policy-name", "", "name of the managed permission policy (default: this cluster's, "+steps.DefaultPolicyName+"-<cluster name>)")
	f.StringVar(&o.In.RoleARN, "role-arn", "", "use this existing role (a ROLE ARN, not a policy ARN) instead of creating one")
	f.BoolVar(&o.In.RestrictRegions, "restrict-regions", false, "limit the policy to the cluster's regions instead of all regions")
	f.StringVar(&o.In.ExternalID, "external-id", steps.ExternalIDAuto, "Advanced clusters: auto (reuse or generate one), none, or a value; Standard clusters always use the cluster ID")
	f.StringSliceVar(&o.In.Channels, "channels", nil, "export only these channels (comma-separated); the others are omitted")
	f.StringSliceVar(&o.In.OmitChannels, "omit-channels", nil, "channels not to export (comma-separated)")
	f.BoolVar(&o.Redact, "redact", false, "redact sensitive data in exported logs")
	f.StringVar(&o.In.ExportRegion, "export-region", "", "send every region's logs to this one region's log group")
	f.BoolVar(&o.In.FromScratch, "from-scratch", false, "start a new run instead of resuming the journal's (nothing is deleted)")
	f.BoolVarP(&o.Yes, "yes", "y", false, "apply the plan without asking")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the plan and change nothing")
	f.BoolVar(&o.NoWait, "no-wait", false, "return once the configuration is accepted, without waiting for ENABLED")
	f.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "give up (exit 124) after this long")
	o.Plan.Register(f)
	return cmd
}

func run(ctx context.Context, o *Options) error {
	if o.flags.Changed("retention-days") {
		o.In.RetentionDays = o.retention
		o.In.RetentionSet = true
	}
	if o.flags.Changed("redact") {
		o.In.Redact = &o.Redact
	}
	if err := steps.CheckSetupInput(&o.In); err != nil {
		return cmdutil.UsageError("%v", err)
	}
	if err := o.Plan.Begin(steps.ProcedureSetup, o.flags, o.DryRun, o.Yes); err != nil {
		return err
	}
	if sp := o.Plan.Saved; sp != nil {
		o.In = *sp.Setup
		o.In.Cluster = sp.ClusterID
		if err := steps.CheckSetupInput(&o.In); err != nil {
			return cmdutil.UsageError("--plan-file %s: %v", o.Plan.Path, err)
		}
	}
	if !o.Yes && !o.DryRun && !o.Conn.NoInput && o.IO.CanPrompt() {
		return runWizard(ctx, o)
	}
	if o.In.Cluster == "" {
		if !o.Yes && !o.DryRun {
			return cmdutil.UsageError("no terminal to run the guided setup on: pass the answers as flags, for example\n  crdb-logexport setup --cluster NAME --yes\n--log-group, --retention-days, --role-name, --policy-name, --role-arn, --restrict-regions and --external-id choose the rest (defaults otherwise); `crdb-logexport status --all` lists the clusters")
		}
		return cmdutil.UsageError("--cluster is required (a cluster id or name; `crdb-logexport status --all` lists them)")
	}
	if !o.Yes && !o.DryRun {
		return cmdutil.UsageError("setup changes AWS and CockroachDB Cloud resources: pass --yes to apply the plan, or --dry-run to see it (no terminal to ask on).\n  %s --dry-run\n  %s --yes", resumeCommand(o), resumeCommand(o))
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	o.Conn.DryRun, o.Conn.NoWait = o.DryRun, o.NoWait
	env, err := o.Conn.Env(ctx)
	if err != nil {
		return err
	}
	lines := &kit.Lines{W: o.IO.ErrOut, Results: o.IO.Out, Plans: !o.Out.JSON() || o.DryRun}
	if o.Out.JSON() {
		lines.Results = nil
	}
	task := steps.SetupTask{Input: o.In, DryRun: o.DryRun, Apply: steps.SetupOptions{NoWait: o.NoWait}, Saved: o.Plan.Saved}
	end := steps.RunSetup(ctx, env, task, cmdutil.Prompter{IO: o.IO, Yes: o.Yes}, lines.Event)
	switch {
	case o.DryRun && end.Plan != nil && ctx.Err() == nil:
		return o.Plan.DryRunDone(o.IO, o.Out.JSON(), end.Plan, end.Plan.Saved(end.Input, time.Now()), planCommand(o))
	case end.Ending == steps.Completed && o.Out.JSON():
		return cmdutil.WriteJSON(o.IO.Out, end.Result)
	case end.Ending == steps.Completed:
		return nil
	}
	return fail(ctx, o, end)
}

// fail reports a failed run: the step, the cause, the fix, and the command
// that resumes (always with --yes: the plan was already accepted). A dry
// run changes nothing, so it has nothing to resume.
func fail(ctx context.Context, o *Options, end steps.SetupEnd) error {
	var result any
	if end.Result != nil {
		result = end.Result
	}
	resume := resumeCommand(o)
	if !strings.Contains(resume, " --yes") {
		resume += " --yes"
	}
	return o.Plan.End(ctx, o.IO, o.Out.JSON(), end.End, o.DryRun, resume, o.Timeout, result)
}

// resumeCommand rebuilds the command line from the flags the user set. It
// cannot contain the API key: no flag carries it.
func resumeCommand(o *Options) string {
	return cmdutil.ResumeCommand("setup", o.flags, "from-scratch")
}

// planCommand is the command a dry run plans: what applies it with --yes.
func planCommand(o *Options) string {
	return cmdutil.ResumeCommand("setup", o.flags, "from-scratch", "dry-run", "plan-file", "detailed-exitcode", "output", "yes")
}

// NewCmdPolicy returns `crdb-logexport policy`.
func NewCmdPolicy(ios *cmdutil.IOStreams) *cobra.Command {
	var (
		conn            = cmdutil.Connection{IO: ios}
		out             cmdutil.OutputFlag
		clusterRef      string
		logGroup        string
		externalID      string
		restrictRegions bool
	)
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Print the trust policy and permission policy for a cluster and log group",
		Long: `Prints the two IAM documents log export needs, filled in for the cluster and your
AWS account — for infrastructure-as-code or review. Changes nothing.

The trust policy names the CLUSTER's AWS account (it assumes your role); the
permission policy names YOUR account (the log group is yours).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if clusterRef == "" {
				return cmdutil.UsageError("--cluster is required")
			}
			env, err := conn.Env(cmd.Context())
			if err != nil {
				return err
			}
			in := steps.SetupInput{Cluster: clusterRef, LogGroup: logGroup, ExternalID: externalID, RestrictRegions: restrictRegions}
			docs, err := steps.Policies(cmd.Context(), env, in)
			if err != nil {
				return err
			}
			if out.JSON() {
				return cmdutil.WriteJSON(ios.Out, docs)
			}
			fmt.Fprintf(ios.ErrOut, "# Trust policy of the role: lets the cluster's account %s assume it.\n", docs.ClusterAccount)
			fmt.Fprintln(ios.Out, docs.Trust.JSON())
			fmt.Fprintf(ios.ErrOut, "# Permission policy: CloudWatch Logs actions on log group %s in your account %s.\n", docs.LogGroup, docs.YourAccount)
			fmt.Fprintln(ios.Out, docs.Permission.JSON())
			return nil
		},
	}
	f := cmd.Flags()
	conn.Register(f)
	out.Register(f)
	f.StringVar(&clusterRef, "cluster", "", "cluster id or name")
	f.StringVar(&logGroup, "log-group", "", "log group name; default crdb-<cluster name>")
	f.StringVar(&externalID, "external-id", steps.ExternalIDAuto, "Advanced clusters: auto (the one the role or the export already uses, else the one setup will use), none, or a value")
	f.BoolVar(&restrictRegions, "restrict-regions", false, "limit the permission policy to the cluster's regions")
	return cmd
}
