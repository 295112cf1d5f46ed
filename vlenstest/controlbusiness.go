package vlenstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/vlens-go/vlens"
)

// controlBusinessBody is the body of ControlCompletePath (token, status)
// and ControlStatusPath (id, status).
type controlBusinessBody struct {
	Token  string               `json:"token"`
	ID     string               `json:"id"`
	Status *vlens.RequestStatus `json:"status"`
}

// controlBusiness completes a session (complete) or sets a business
// request's status, and answers with the request's ID, number and status.
func (s *Server) controlBusiness(w http.ResponseWriter, r *http.Request, complete bool) int {
	body, tooLarge := readBody(r)
	if tooLarge {
		return controlError(w, http.StatusRequestEntityTooLarge, "request body too large")
	}
	var b controlBusinessBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return controlError(w, http.StatusBadRequest, `the body must be a JSON object such as {"token":"…","status":2} or {"id":"…","status":3}`)
	}
	status := vlens.StatusPendingApproval
	switch {
	case b.Status != nil && *b.Status > 0:
		status = *b.Status
	case b.Status != nil || !complete:
		return controlError(w, http.StatusBadRequest, `"status" must be a positive number or a status name, such as 2 or "Approved"`)
	}
	var req businessRequest
	if complete {
		if b.ID != "" {
			return controlError(w, http.StatusBadRequest, `"id" is for `+ControlStatusPath+`; complete a session by its "token"`)
		}
		var err error
		if req, err = s.completeSession(b.Token, status); err != nil {
			return controlError(w, http.StatusNotFound, err.Error())
		}
	} else {
		if b.Token != "" {
			return controlError(w, http.StatusBadRequest, `"token" is for `+ControlCompletePath+`; name the business request by its "id"`)
		}
		if err := s.SetRequestStatus(b.ID, status); err != nil {
			if errors.Is(err, errNoRequest) {
				return controlError(w, http.StatusNotFound, errNoRequest.Error())
			}
			return controlError(w, http.StatusBadRequest, err.Error())
		}
		s.mu.Lock()
		if p := s.businessRequest(b.ID); p != nil {
			req = *p
		}
		s.mu.Unlock()
		if req.id == "" { // a Reset came in between
			return controlError(w, http.StatusNotFound, errNoRequest.Error())
		}
	}
	return controlJSON(w, http.StatusOK, struct {
		ID            string `json:"id"`
		RequestNumber string `json:"requestNumber"`
		Status        int    `json:"status"`
		StatusName    string `json:"statusName"`
	}{req.id, req.number, int(req.status), statusName(req.status)})
}
