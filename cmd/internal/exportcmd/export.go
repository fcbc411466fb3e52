// Package exportcmd implements `crdb-logexport export terraform`: the live
// log export of a cluster, written as Terraform with import blocks.
package exportcmd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crdb-logexport/crdb-logexport/cmd/internal/cmdutil"
	"github.com/crdb-logexport/crdb-logexport/steps"
	"github.com/crdb-logexport/crdb-logexport/tfexport"
)

// NewCmd returns `export`, the parent of `export terraform`.
func NewCmd(ios *cmdutil.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a cluster's live log export setup as infrastructure code",
		Long: `Writes a cluster's live log export setup as code for other tools.
Only Terraform for now: crdb-logexport export terraform --cluster NAME`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return cmdutil.UsageError("export what? Run: crdb-logexport export terraform --cluster NAME")
		},
	}
	cmd.AddCommand(NewCmdTerraform(ios))
	return cmd
}

// Options are the flags of `export terraform`.
type Options struct {
	IO   *cmdutil.IOStreams
	Conn cmdutil.Connection
	Out  cmdutil.OutputFlag

	Cluster string
	Dir     string
	Format  formatFlag
	Force   bool
	Timeout time.Duration
}

// Result is what --output json prints once the files are written.
type Result struct {
	ClusterID   string   `json:"cluster_id"`
	ClusterName string   `json:"cluster_name"`
	Format      string   `json:"format"`
	Dir         string   `json:"dir"`
	Files       []string `json:"files"`
	// Removed are the other syntax's files --force took away.
	Removed   []string            `json:"removed,omitempty"`
	Resources []tfexport.Resource `json:"resources"`
	Warnings  []string            `json:"warnings"`
}

// NewCmdTerraform returns `export terraform`.
func NewCmdTerraform(ios *cmdutil.IOStreams) *cobra.Command {
	o := &Options{IO: ios, Format: formatFlag{tfexport.FormatHCL}}
	o.Conn.IO = ios
	cmd := &cobra.Command{
		Use:   "terraform",
		Short: "Write the live log export setup as Terraform, with import blocks for what exists",
		Long: `Reads the live configuration — the export spec from CockroachDB Cloud, the IAM
role auth_principal names with its trust and policies, the log group in every
destination region with its retention, KMS key and tags — and writes it as
Terraform: required providers, one aws provider per destination region, the
log groups, the role, its policies and their attachments, and
cockroach_log_export_config depending on them, with an import block (Terraform
1.5 or later) for every resource that exists. After terraform init, terraform
plan imports them and should propose no other change. Changes nothing.

Without --dir it writes one document to standard output. With --dir it writes
versions.tf, variables.tf, main.tf and imports.tf there (.tf.json with
--format json), and refuses to replace files that exist (of either syntax:
Terraform reads both) unless --force, which also removes the other syntax's.
An export made by hand or by another tool works the same: everything is
imported as it is, and comments say what crdb-logexport did not make.`,
		Example: `  crdb-logexport export terraform --cluster prod-aws > logexport.tf
  crdb-logexport export terraform --cluster prod-aws --dir infra/logexport
  crdb-logexport export terraform --cluster prod-aws --dir out --format json --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	f := cmd.Flags()
	o.Conn.Register(f)
	o.Out.Register(f)
	f.StringVar(&o.Cluster, "cluster", "", "cluster id or name")
	f.StringVar(&o.Dir, "dir", "", "write the files into this directory instead of one document to standard output")
	f.Var(&o.Format, "format", "Terraform syntax: hcl (.tf) or json (.tf.json)")
	f.BoolVar(&o.Force, "force", false, "with --dir: replace files of the same names (and remove those of the other syntax)")
	f.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "give up (exit 124) after this long")
	return cmd
}

func run(ctx context.Context, o *Options) error {
	switch {
	case o.Cluster == "":
		return cmdutil.UsageError("--cluster is required (a cluster id or name; `crdb-logexport status --all` lists them)")
	case o.Out.JSON() && o.Dir == "":
		return cmdutil.UsageError("--output json describes the files written with --dir; without --dir the Terraform itself is the output (--format json writes it as Terraform JSON)")
	case o.Force && o.Dir == "":
		return cmdutil.UsageError("--force replaces files in --dir; without --dir nothing is replaced")
	}
	if o.Dir != "" {
		// Said before any network call, so nothing is read in vain.
		if err := checkDir(o.Dir, o.Format.f, o.Force); err != nil {
			return err
		}
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	cloud, err := o.Conn.Cloud()
	if err != nil {
		return err
	}
	awsc, err := o.Conn.AWS(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Reading the log export of %s (read-only)…\n", o.Cluster)
	live, err := tfexport.Read(ctx, &steps.Env{Cloud: cloud, AWS: awsc}, o.Cluster)
	if err != nil {
		return fail(o, err)
	}
	cfg := tfexport.Build(live)
	for _, w := range cfg.Warnings {
		fmt.Fprintf(o.IO.ErrOut, "Note: %s\n", w)
	}
	if o.Dir == "" {
		_, err := o.IO.Out.Write(cfg.Document(o.Format.f))
		return err
	}
	files, removed, err := write(o, cfg)
	if err != nil {
		return fail(o, err)
	}
	if o.Out.JSON() {
		return cmdutil.WriteJSON(o.IO.Out, Result{
			ClusterID: cfg.ClusterID, ClusterName: cfg.ClusterName, Format: string(o.Format.f), Dir: o.Dir,
			Files: files, Removed: removed, Resources: cfg.Resources, Warnings: nonNil(cfg.Warnings),
		})
	}
	if len(removed) > 0 {
		fmt.Fprintf(o.IO.Out, "Removed %s: Terraform would read them beside the new files.\n", strings.Join(removed, ", "))
	}
	imports := 0
	for _, r := range cfg.Resources {
		if r.ImportID != "" {
			imports++
		}
	}
	fmt.Fprintf(o.IO.Out, "Wrote %s: %d resources, %d of them imported.\n", strings.Join(files, ", "), len(cfg.Resources), imports)
	fmt.Fprintf(o.IO.Out, "Next: cd %s && terraform init && terraform plan\n", steps.ShellQuote(o.Dir))
	return nil
}

// checkDir refuses a --dir that is a file, and files of the names export
// writes, in either syntax: Terraform reads every .tf and .tf.json of a
// directory, so a module left with both would declare everything twice.
// With force they are replaced (write removes the other syntax's).
func checkDir(dir string, f tfexport.Format, force bool) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return cmdutil.UsageError("--dir %s is a file, not a directory: choose another --dir", dir)
	}
	if force {
		return nil
	}
	var taken []string
	for _, name := range append(tfexport.FileNames(f), tfexport.FileNames(other(f))...) {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			taken = append(taken, name)
		}
	}
	if len(taken) > 0 {
		return cmdutil.UsageError("%s already has %s: choose another --dir, or pass --force to replace them (Terraform reads both .tf and .tf.json files, so --force also removes those of the other syntax)", dir, strings.Join(taken, ", "))
	}
	return nil
}

// other is the syntax f is not.
func other(f tfexport.Format) tfexport.Format {
	if f == tfexport.FormatJSON {
		return tfexport.FormatHCL
	}
	return tfexport.FormatJSON
}

// write puts each file in place whole: written to a temporary file in the
// directory, then renamed, so an interruption leaves no half file.
func write(o *Options, cfg *tfexport.Config) (names, removed []string, err error) {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, nil, err
	}
	for _, out := range cfg.Render(o.Format.f) {
		tmp, err := os.CreateTemp(o.Dir, "."+out.Name+".*")
		if err != nil {
			return names, nil, err
		}
		_, werr := tmp.Write(out.Data)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
			os.Remove(tmp.Name())
			return names, nil, err
		}
		if err := os.Rename(tmp.Name(), filepath.Join(o.Dir, out.Name)); err != nil {
			os.Remove(tmp.Name())
			return names, nil, err
		}
		names = append(names, out.Name)
	}
	// Files of the other syntax (only there with --force) would make
	// Terraform read every block twice.
	for _, name := range tfexport.FileNames(other(o.Format.f)) {
		err := os.Remove(filepath.Join(o.Dir, name))
		switch {
		case err == nil:
			removed = append(removed, name)
		case !errors.Is(err, fs.ErrNotExist):
			return names, removed, err
		}
	}
	return names, removed, nil
}

// fail reports a failed export: the cause and the fix, and for --output
// json one document with both. Nothing was changed, so there is nothing
// to resume: the same command runs again.
func fail(o *Options, err error) error {
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) {
		return err
	}
	fix := ""
	code := cmdutil.ExitCode(err)
	var te *tfexport.Error
	if errors.As(err, &te) {
		fix = te.Fix
		if te.Usage && code == cmdutil.ExitFailure {
			code = cmdutil.ExitUsage
		}
	}
	if o.Out.JSON() {
		_ = cmdutil.WriteJSON(o.IO.Out, map[string]string{"error": err.Error(), "fix": fix})
	}
	cmdutil.ReportFailure(o.IO.ErrOut, code, err.Error(), fix, o.Timeout)
	return cmdutil.Silent(code)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// formatFlag is --format: a typo fails at parse time (exit 2).
type formatFlag struct{ f tfexport.Format }

func (f *formatFlag) String() string { return string(f.f) }
func (f *formatFlag) Type() string   { return "hcl|json" }

func (f *formatFlag) Set(v string) error {
	switch tfexport.Format(v) {
	case tfexport.FormatHCL, tfexport.FormatJSON:
		f.f = tfexport.Format(v)
		return nil
	}
	return cmdutil.UsageError("--format must be hcl or json, not %q", v)
}
