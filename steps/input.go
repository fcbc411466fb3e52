package steps

import (
	"errors"
	"fmt"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// CheckSetupInput judges setup's flags as far as they can be judged without
// the cluster, so a bad value is refused before any call: names, retention,
// channels, the role ARN's form and the external ID's. Channel names are
// normalised to the API's upper case first (sql_schema is SQL_SCHEMA). What
// only the cluster can judge (an export region, Standard's external ID) is
// left to the plan. The error names the flag.
func CheckSetupInput(in *SetupInput) error {
	in.Channels = cloudapi.NormalizeChannels(in.Channels)
	in.OmitChannels = cloudapi.NormalizeChannels(in.OmitChannels)
	if in.LogGroup != "" {
		if err := cloudapi.CheckLogName(in.LogGroup); err != nil {
			return fmt.Errorf("--log-group: %w", err)
		}
	}
	if in.RetentionSet {
		if err := awsiam.ValidateRetentionDays(int32(in.RetentionDays)); err != nil {
			return fmt.Errorf("--retention-days: %w", err)
		}
	}
	if len(in.Channels) > 0 && len(in.OmitChannels) > 0 {
		return errors.New("--channels and --omit-channels cannot be used together: --channels lists what to export, --omit-channels what to leave out")
	}
	if err := checkChannelFlags(in.Channels, in.OmitChannels); err != nil {
		return err
	}
	if err := checkRoleARNFlag(in.RoleARN); err != nil {
		return err
	}
	if in.RoleName != "" {
		if err := awsiam.ValidateRoleName(in.RoleName); err != nil {
			return fmt.Errorf("--role-name: %w", err)
		}
	}
	if in.PolicyName != "" {
		if err := awsiam.ValidatePolicyName(in.PolicyName); err != nil {
			return fmt.Errorf("--policy-name: %w", err)
		}
	}
	switch in.ExternalID {
	case "", ExternalIDAuto, ExternalIDNone:
	default:
		if err := validateExternalID(in.ExternalID); err != nil {
			return fmt.Errorf("--external-id: %w", err)
		}
	}
	return nil
}

// CheckUpdateInput is CheckSetupInput for update's flags: channels of the
// configuration and of every --group (normalised to upper case), the
// retention of log groups it creates, and the role ARN's form.
func CheckUpdateInput(in *UpdateInput) error {
	e := &in.Edit
	if e.Channels != nil {
		e.Channels = cloudapi.NormalizeChannels(e.Channels)
	}
	var omit []string
	if e.OmitChannels != nil {
		normal := cloudapi.NormalizeChannels(*e.OmitChannels)
		e.OmitChannels, omit = &normal, normal
	}
	if err := checkChannelFlags(e.Channels, omit); err != nil {
		return err
	}
	for i := range e.Groups {
		g := &e.Groups[i]
		g.Channels = cloudapi.NormalizeChannels(g.Channels)
		if err := cloudapi.ValidateChannels(g.Channels); err != nil {
			return fmt.Errorf("--group %s: %w", g.LogName, err)
		}
	}
	if in.RetentionDays != 0 {
		if err := awsiam.ValidateRetentionDays(int32(in.RetentionDays)); err != nil {
			return fmt.Errorf("--retention-days: %w", err)
		}
	}
	return checkRoleARNFlag(e.RoleARN)
}

func checkChannelFlags(channels, omit []string) error {
	if err := cloudapi.ValidateChannels(channels); err != nil {
		return fmt.Errorf("--channels: %w", err)
	}
	if err := cloudapi.ValidateChannels(omit); err != nil {
		return fmt.Errorf("--omit-channels: %w", err)
	}
	return nil
}

// checkRoleARNFlag refuses a --role-arn that is no role ARN. A policy ARN
// is let through: the plan names the roles it is attached to, which takes
// a call.
func checkRoleARNFlag(arn string) error {
	if arn == "" || awsiam.Classify(arn) == awsiam.KindPolicy {
		return nil
	}
	if _, err := awsiam.CheckRoleARN(arn); err != nil {
		return fmt.Errorf("--role-arn: %w; pass the ARN of a role (arn:aws:iam::ACCOUNT:role/NAME)", err)
	}
	return nil
}
