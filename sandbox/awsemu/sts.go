package awsemu

// stsActions lists the STS actions the emulator implements.
var stsActions = map[string]queryHandler{
	"GetCallerIdentity": (*Server).getCallerIdentity,
}

// getCallerIdentity names the one identity every sandbox caller has.
func (s *Server) getCallerIdentity(*queryCall) (any, *apiError) {
	return struct {
		UserId  string
		Account string
		Arn     string
	}{s.callerUserID(), s.accountID, s.callerARN()}, nil
}
