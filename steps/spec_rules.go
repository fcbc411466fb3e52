package steps

import (
	"errors"
	"fmt"
	"slices"

	"github.com/crdb-logexport/crdb-logexport/awsiam"
	"github.com/crdb-logexport/crdb-logexport/cloudapi"
)

// The rules a configuration's groups follow with one another, each said
// one way. ValidateSpec applies them to a whole configuration; an editor
// checks one group's field against the other groups with the same
// functions as it is filled in.

// CheckGroupName says what is wrong with name as the log name of a group
// besides others: it must be a valid log group name that no other group
// has.
func CheckGroupName(name string, others []cloudapi.LogExportGroup) error {
	if err := awsiam.ValidateLogGroupName(name); err != nil {
		return err
	}
	return groupNameTaken(name, others)
}

func groupNameTaken(name string, others []cloudapi.LogExportGroup) error {
	if slices.ContainsFunc(others, func(g cloudapi.LogExportGroup) bool { return g.LogName == name }) {
		return fmt.Errorf("two groups have the log name %s; a log name has one group: edit that group, or merge their channels into one", name)
	}
	return nil
}

// CheckGroupChannels says what is wrong with the channels of group g
// besides others: it needs one at least, and a channel goes to one group
// only.
func CheckGroupChannels(g cloudapi.LogExportGroup, others []cloudapi.LogExportGroup) error {
	if len(g.Channels) == 0 {
		return fmt.Errorf("group %s: %w", g.LogName, cloudapi.ErrNoChannel)
	}
	return channelsTaken(g, others)
}

func channelsTaken(g cloudapi.LogExportGroup, others []cloudapi.LogExportGroup) error {
	var errs []error
	for _, ch := range g.Channels {
		for _, o := range others {
			if o.LogName != g.LogName && slices.Contains(o.Channels, ch) {
				errs = append(errs, fmt.Errorf("channel %s is routed to both group %s and group %s; a channel can go to one group only", ch, o.LogName, g.LogName))
				break
			}
		}
	}
	return errors.Join(errs...)
}

// CheckGroupQueue says what is wrong with group g setting the sending
// queue besides others: one group at most may.
func CheckGroupQueue(g cloudapi.LogExportGroup, others []cloudapi.LogExportGroup) error {
	return cloudapi.CheckQueues(append(slices.Clone(others), g))
}

// groupConflicts are the rules between groups, each pair once: every group
// against the ones before it.
func groupConflicts(groups []cloudapi.LogExportGroup) []error {
	var errs []error
	for i, g := range groups {
		if err := groupNameTaken(g.LogName, groups[:i]); err != nil {
			errs = append(errs, err)
		}
		if err := channelsTaken(g, groups[:i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// IntroducedProblems is what is wrong with the configuration after once
// it was not wrong with before: the problems an edit brings. An editor
// that checks only these lets a configuration that is already wrong be
// repaired one field at a time; the review checks the whole.
func IntroducedProblems(before, after cloudapi.LogExportSpec, cluster cloudapi.Cluster) error {
	had := map[string]bool{}
	for _, e := range Problems(ValidateSpec(before, cluster)) {
		had[e.Error()] = true
	}
	var out []error
	for _, e := range Problems(ValidateSpec(after, cluster)) {
		if !had[e.Error()] {
			out = append(out, e)
		}
	}
	return errors.Join(out...)
}

// Problems lists the problems an error of ValidateSpec joins, one each.
func Problems(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Problems(e)...)
		}
		return out
	}
	return []error{err}
}
