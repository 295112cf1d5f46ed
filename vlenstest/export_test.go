package vlenstest

// SetMaxRecordedRequests lowers how many requests s keeps, so that a test
// can see the oldest dropped without sending MaxRecordedRequests requests.
func SetMaxRecordedRequests(s *Server, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxRecord = n
	if s.hooks != nil {
		s.hooks.mu.Lock()
		defer s.hooks.mu.Unlock()
		s.hooks.max = n
	}
}
