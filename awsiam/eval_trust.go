package awsiam

import (
	"fmt"
	"sort"
	"strings"
)

// evAssumeRoleAction is what the cluster's account does with the role.
const evAssumeRoleAction = "sts:AssumeRole"

// TrustResult says whether a role's trust policy lets the cluster's account
// assume it.
type TrustResult struct {
	Allowed  bool
	Decision Decision
	// DecidedBy: the Deny that applies, the Allow(s) that allow, or the
	// undecided statements. For ImplicitDeny it holds the statements that
	// came closest: those naming the account whose condition fails (a wrong
	// or missing external ID), else those naming other principals.
	DecidedBy []StatementRef
	// ExternalIDs lists the sts:ExternalId values the allowing statements
	// require (empty: none required). When nothing allows, it lists what the
	// statements naming the account would require, so a mismatch can be
	// shown side by side with what the cluster sends.
	ExternalIDs []string
	// PrincipalsAllowed lists the AWS principals the Allow statements for
	// sts:AssumeRole name, sorted; a bare account ID is written as its root
	// ARN, as IAM stores it, and "*" stands for everyone.
	PrincipalsAllowed []string
	Reason            string
}

// EvaluateTrust decides whether arn:aws:iam::{account}:root, standing for
// any principal in the cluster's account, may perform sts:AssumeRole on the
// role whose trust policy is doc, sending externalID ("" sends none).
//
// A statement's principal matches when it is "*", {"AWS": "*"}, the
// account's root ARN or the bare account ID. A statement naming a role or
// user in the account covers only that principal, not the account, so it
// does not allow the request; the principal is still listed in
// PrincipalsAllowed. NotPrincipal applies to everyone it does not name; IAM
// accepts it only with Deny (and not in trust policies at all), so an Allow
// with NotPrincipal grants nothing. Conditions on sts:ExternalId are decided
// (the key is absent when externalID is ""); conditions on any other key are
// undecided. A Deny that applies wins.
func EvaluateTrust(doc *PolicyDocument, account, externalID string) TrustResult {
	root := RootPrincipal(account)
	if doc == nil {
		return TrustResult{Decision: ImplicitDeny, Reason: "the role has no trust policy, so nobody can assume it"}
	}
	ctx := newEvContext(nil, ExternalIDConditionKey)
	if externalID != "" {
		ctx = newEvContext(map[string]string{ExternalIDConditionKey: externalID})
	}
	vars := doc.Version == PolicyVersion
	src := PolicySource{Kind: SourceTrust}

	var denies, maybeDenies, allows, maybeAllows, failed, elsewhere []evHit
	principals := map[string]bool{}
	for i := range doc.Statement {
		st := &doc.Statement[i]
		if !evStatementAction(st, evAssumeRoleAction) {
			continue
		}
		allow := st.Effect == EffectAllow
		if allow && st.Principal != nil {
			for _, p := range evPrincipalList(st.Principal) {
				principals[p] = true
			}
		}
		hit := evHit{ref: evRef(src, i, st)}
		pr := evTrustPrincipal(st, account)
		if pr.v == evNo {
			if allow && st.Principal != nil {
				elsewhere = append(elsewhere, hit)
			}
			continue
		}
		out := evAnd(pr, evCondition(st.Condition, vars, ctx))
		if st.Resource != nil || st.NotResource != nil {
			out = evAnd(out, evUnknownf("it has a Resource element, which IAM does not accept in a trust policy"))
		}
		hit.why = out.why
		switch {
		case out.v == evNo:
			if allow {
				failed = append(failed, hit)
			}
		case !allow && out.v == evYes:
			denies = append(denies, hit)
		case !allow:
			maybeDenies = append(maybeDenies, hit)
		case out.v == evYes:
			allows = append(allows, hit)
		default:
			maybeAllows = append(maybeAllows, hit)
		}
	}

	res := TrustResult{PrincipalsAllowed: evSortedKeys(principals)}
	withExt := ""
	if externalID != "" {
		withExt = fmt.Sprintf(" with external ID %q", externalID)
	}
	switch {
	case len(denies) > 0:
		res.Decision = ExplicitDeny
		res.DecidedBy = evRefs(denies)
		res.Reason = fmt.Sprintf("%s explicitly denies %s to %s", denies[0].ref, evAssumeRoleAction, root)
	case len(allows) > 0 && len(maybeDenies) == 0:
		res.Decision, res.Allowed = Allowed, true
		res.DecidedBy = evRefs(allows)
		res.ExternalIDs = evExternalIDs(doc, allows)
		res.Reason = fmt.Sprintf("%s lets %s assume the role", allows[0].ref, root)
		if len(res.ExternalIDs) > 0 {
			res.Reason += withExt
		}
	case len(allows) > 0 || len(maybeAllows) > 0:
		pending := maybeDenies
		basis := allows
		if len(allows) == 0 {
			pending = append(append([]evHit(nil), maybeAllows...), maybeDenies...)
			basis = maybeAllows
		}
		verb := "might allow"
		if len(pending) == len(maybeDenies) {
			verb = "might deny"
		}
		res.Decision = Undecided
		res.DecidedBy = evRefs(pending)
		res.ExternalIDs = evExternalIDs(doc, basis)
		res.Reason = fmt.Sprintf("cannot decide whether %s may assume the role: %s %s it, but %s", root, pending[0].ref, verb, pending[0].why)
	case len(failed) > 0:
		res.Decision = ImplicitDeny
		res.DecidedBy = evRefs(failed)
		res.ExternalIDs = evExternalIDs(doc, failed)
		res.Reason = evFailedReason(failed, res.ExternalIDs, root, externalID)
	case len(elsewhere) > 0:
		res.Decision = ImplicitDeny
		res.DecidedBy = evRefs(elsewhere)
		named := append([]string(nil), res.PrincipalsAllowed...)
		for _, h := range elsewhere {
			named = append(named, evOtherPrincipals(doc.Statement[h.ref.Index].Principal)...)
		}
		if len(named) == 0 {
			res.Reason = fmt.Sprintf("the trust policy's Principal names nobody, so no one may assume the role, %s (the cluster's account %s) included", root, account)
		} else {
			res.Reason = fmt.Sprintf("the trust policy lets only %s assume the role, not %s (the cluster's account %s)",
				strings.Join(named, ", "), root, account)
		}
	default:
		res.Decision = ImplicitDeny
		res.Reason = fmt.Sprintf("no statement of the trust policy lets %s perform %s", root, evAssumeRoleAction)
	}
	return res
}

// evFailedReason explains why the statements naming the account do not
// allow: the external ID when the cluster's does not fit what they require,
// otherwise their conditions in general.
func evFailedReason(failed []evHit, required []string, root, externalID string) string {
	fits := false
	for _, want := range required {
		if evMatchPattern(want, externalID, evPatternOpts{wild: true}, false, nil).v == evYes {
			fits = true
		}
	}
	if len(required) > 0 && (externalID == "" || !fits) {
		want := fmt.Sprintf("%q", required[0])
		if len(required) > 1 {
			want = "one of " + evQuoteList(required)
		}
		if externalID == "" {
			return fmt.Sprintf("the trust policy requires external ID %s, but the cluster sends none", want)
		}
		return fmt.Sprintf("the trust policy requires external ID %s, but the cluster sends %q", want, externalID)
	}
	return fmt.Sprintf("%s names %s, but its condition does not hold for the cluster's request", failed[0].ref, root)
}

// evTrustPrincipal decides whether the statement's Principal (or
// NotPrincipal) covers the cluster account's root.
func evTrustPrincipal(st *Statement, account string) evOutcome {
	switch {
	case st.Principal != nil:
		if evPrincipalNamesAccount(st.Principal, account) {
			return evYesOutcome
		}
		return evNoOutcome
	case st.NotPrincipal != nil:
		if st.Effect == EffectAllow || evPrincipalNamesAccount(st.NotPrincipal, account) {
			return evNoOutcome
		}
		return evYesOutcome
	}
	return evUnknownf("it names no Principal, which IAM requires in a trust policy")
}

// evPrincipalNamesAccount: the principal is everyone, or the whole account.
func evPrincipalNamesAccount(p *Principal, account string) bool {
	if p.Wildcard {
		return true
	}
	for _, v := range p.AWS {
		if v == "*" || (account != "" && (v == account || v == RootPrincipal(account))) {
			return true
		}
	}
	return false
}

func evPrincipalList(p *Principal) []string {
	if p.Wildcard {
		return []string{"*"}
	}
	out := make([]string, 0, len(p.AWS))
	for _, v := range p.AWS {
		if evIsAccountID(v) {
			v = RootPrincipal(v)
		}
		out = append(out, v)
	}
	return out
}

// evOtherPrincipals names the principals of a statement that are not AWS
// accounts or roles: services, federated and canonical users.
func evOtherPrincipals(p *Principal) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, kind := range []struct {
		label  string
		values StringList
	}{{"service", p.Service}, {"federated principal", p.Federated}, {"canonical user", p.CanonicalUser}} {
		for _, v := range kind.values {
			out = append(out, kind.label+" "+v)
		}
	}
	return out
}

func evIsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// evExternalIDs collects the external IDs the statements require. A
// statement that requires none means none is required.
func evExternalIDs(doc *PolicyDocument, hits []evHit) []string {
	set := map[string]bool{}
	for _, h := range hits {
		ids := evStatementExternalIDs(&doc.Statement[h.ref.Index])
		if len(ids) == 0 {
			return nil
		}
		for _, id := range ids {
			set[id] = true
		}
	}
	return evSortedKeys(set)
}

// evStatementExternalIDs returns the values a statement's condition demands
// of sts:ExternalId. IfExists and ForAllValues forms are skipped: they hold
// when no external ID is sent, so they require nothing.
func evStatementExternalIDs(st *Statement) []string {
	var out []string
	for name, keys := range st.Condition {
		op := evParseOperator(name)
		if !op.known || op.kind.negated || op.ifExists || op.set == "forallvalues" {
			continue
		}
		switch op.kind.family {
		case evString, evStringFold, evStringLike:
		default:
			continue
		}
		for k, vals := range keys {
			if strings.EqualFold(k, ExternalIDConditionKey) {
				out = append(out, vals...)
			}
		}
	}
	return out
}

func evSortedKeys(set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func evQuoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
