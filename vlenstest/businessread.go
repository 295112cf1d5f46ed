package vlenstest

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vlens-go/vlens"
)

// wireSummary is a business request as CurrentListIds lists it, in Vlens's
// field names.
type wireSummary struct {
	ID               string `json:"id"`
	TypeName         string `json:"typeName"`
	Type             int    `json:"type"`
	ContractTypeID   int    `json:"contractTypeId"`
	ContractTypeName string `json:"contractTypeName"`
	IDNumber         string `json:"idNumber"`
	RequestNumber    string `json:"requestNumber"`
	FullName         string `json:"fullName"`
	Status           int    `json:"requeststatus"`
	StatusName       string `json:"requestStatusName"`
	CreationTime     string `json:"creationTime"`
}

// wireRequest is a business request as GetBusinessRequestById answers it.
type wireRequest struct {
	wireSummary
	RelatedBusinessRequest []struct{}  `json:"relatedBusinessRequest"`
	RequestFields          []wireField `json:"requestFields"`
	LastModificationTime   *string     `json:"lastModificationTime"`
}

// wireField is one of a business request's requestFields.
type wireField struct {
	Order         int        `json:"order"`
	Key           string     `json:"key"`
	DisplayText   string     `json:"displayText"`
	DisplayArText string     `json:"displayArText"`
	Value         string     `json:"value"`
	MultiValues   []string   `json:"multiValues"`
	TabularData   [][]string `json:"tabularData"`
	Type          string     `json:"type"`
	VisibleToUser bool       `json:"visibleToUser"`
}

// wireTemplate is a template as GetBusinessRequestTypeTemplateFields
// answers it.
type wireTemplate struct {
	ID             int                 `json:"id"`
	Name           string              `json:"name"`
	RequestsFields []wireTemplateField `json:"requestsFields"`
}

// wireTemplateField is one of a template's requestsFields.
type wireTemplateField struct {
	Key                  string              `json:"key"`
	Type                 string              `json:"type"`
	DisplayText          string              `json:"displayText"`
	DisplayArText        string              `json:"displayArText"`
	DefaultValue         string              `json:"defaultValue"`
	AvailableValues      []string            `json:"availableValues"`
	AvailableValuesItems []valueItem         `json:"availableValuesItems"`
	ParentQuestionKey    *string             `json:"parentQuestionKey"`
	ParentQuestionValue  *string             `json:"parentQuestionValue"`
	RelatedQuestions     []wireTemplateField `json:"relatedQuestions"`
}

type valueItem struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// listPage is CurrentListIds's envelope: the page in data, its counts
// beside it.
type listPage struct {
	envelope
	TotalCount    int `json:"totalCount"`
	ReturnedCount int `json:"returnedCount"`
}

// isRead reports whether path is one of the business-request reads.
func isRead(path string) bool {
	return path == GetBusinessRequestPath || path == ListBusinessRequestsPath || path == GetTemplatePath
}

// read answers a business-request read, once the request is authorized.
func (s *Server) read(w http.ResponseWriter, r *http.Request, rec *Request, path string) {
	switch path {
	case GetBusinessRequestPath:
		id := r.URL.Path[len(GetBusinessRequestPath)-1:]
		id = strings.TrimPrefix(strings.TrimSuffix(id, "/"), "/")
		if !isUUID(id) {
			s.writeError(w, rec, http.StatusBadRequest, ErrorCodeMalformedBody, "the business request ID is not a valid UUID",
				map[string][]string{"id": {"must be a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6"}})
			return
		}
		s.mu.Lock()
		req := s.businessRequest(id)
		var data wireRequest
		if req != nil {
			data = s.wireRequest(req)
		}
		s.mu.Unlock()
		if req == nil {
			s.writeError(w, rec, http.StatusNotFound, ErrorCodeNotFound, "there is no business request with this ID", nil)
			return
		}
		s.writeData(w, rec, envelope{Data: data})
	case ListBusinessRequestsPath:
		q := r.URL.Query()
		size, bad1 := queryInt(q, "MaxResultCount", DefaultPageSize, 1, MaxPageSize)
		skip, bad2 := queryInt(q, "SkipCount", 0, 0, 1<<31-1)
		if bad := mergeProblems(bad1, bad2); bad != nil {
			s.writeError(w, rec, http.StatusBadRequest, ErrorCodeMalformedBody, "the paging parameters are not valid", bad)
			return
		}
		s.mu.Lock()
		total := len(s.business)
		page := []wireSummary{}
		for i := total - 1 - skip; i >= 0 && len(page) < size; i-- { // the newest first
			page = append(page, s.wireRequest(s.business[i]).wireSummary)
		}
		s.mu.Unlock()
		s.writeData(w, rec, listPage{envelope: envelope{Data: page}, TotalCount: total, ReturnedCount: len(page)})
	case GetTemplatePath:
		q := r.URL.Query()
		id, bad := queryInt(q, "requestTypeId", 0, -1<<31, 1<<31-1)
		if _, ok := queryValue(q, "requestTypeId"); !ok {
			bad = map[string][]string{"requestTypeId": {"required"}}
		}
		if v, ok := queryValue(q, "isLocalized"); ok {
			if _, err := strconv.ParseBool(v); err != nil {
				bad = mergeProblems(bad, map[string][]string{"isLocalized": {"must be true or false"}})
			}
		}
		if bad != nil {
			s.writeError(w, rec, http.StatusBadRequest, ErrorCodeMalformedBody, "the query parameters are not valid", bad)
			return
		}
		t, ok := s.cfg.templates[id]
		if !ok {
			s.writeError(w, rec, http.StatusNotFound, ErrorCodeNotFound, "there is no template for this request type", nil)
			return
		}
		s.writeData(w, rec, envelope{Data: wireTemplateOf(t)})
	}
}

// writeData answers 200 with v, an envelope or a listPage.
func (s *Server) writeData(w http.ResponseWriter, rec *Request, v any) {
	s.finish(rec, http.StatusOK, 0)
	writeJSON(w, http.StatusOK, v)
}

// queryValue is q's first value for name, whose letter case does not
// matter, as in ASP.NET's binding.
func queryValue(q url.Values, name string) (string, bool) {
	for k, vs := range q {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// queryInt reads the integer query parameter name, def when absent, and
// returns the problem with it when it is no integer from lo to hi.
func queryInt(q url.Values, name string, def, lo, hi int) (int, map[string][]string) {
	v, ok := queryValue(q, name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return def, map[string][]string{name: {"must be an integer from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)}}
	}
	return n, nil
}

// mergeProblems joins problems by field; nil when there are none.
func mergeProblems(a, b map[string][]string) map[string][]string {
	if a == nil {
		return b
	}
	maps.Copy(a, b)
	return a
}

// statusName is requestStatusName for status: the name Vlens documents,
// or "" for a number whose name the docs do not give.
func statusName(status vlens.RequestStatus) string {
	if status < vlens.StatusPendingApproval || status > vlens.StatusCustomerSigned {
		return ""
	}
	return status.String()
}

// wireRequest is req as Vlens serves it, its fields labelled by the
// contract type's template when the server has one. s.mu must be held.
func (s *Server) wireRequest(req *businessRequest) wireRequest {
	t, hasTemplate := s.cfg.templates[req.contractTypeID]
	name := t.Name
	if !hasTemplate {
		name = "Contract type " + strconv.Itoa(req.contractTypeID)
	}
	w := wireRequest{wireSummary: wireSummary{
		ID: req.id, TypeName: RequestTypeName, Type: RequestType,
		ContractTypeID: req.contractTypeID, ContractTypeName: name,
		IDNumber: req.idNumber, RequestNumber: req.number, FullName: req.fullName,
		Status: int(req.status), StatusName: statusName(req.status),
		CreationTime: req.created.Format(vlensTimeLayout),
	}, RelatedBusinessRequest: []struct{}{}, RequestFields: []wireField{}}
	if !req.modified.IsZero() {
		m := req.modified.Format(vlensTimeLayout)
		w.LastModificationTime = &m
	}
	for i, key := range slices.Sorted(maps.Keys(req.fields)) {
		f := wireField{Order: i + 1, Key: key, DisplayText: key, Value: req.fields[key], Type: "text",
			MultiValues: []string{}, TabularData: [][]string{}, VisibleToUser: true}
		for _, tf := range t.Fields {
			if tf.Key == key {
				f.DisplayText, f.DisplayArText, f.Type = tf.DisplayText, tf.DisplayArText, tf.Type
				break
			}
		}
		w.RequestFields = append(w.RequestFields, f)
	}
	return w
}

// wireTemplateOf is t as Vlens serves it: a field whose ParentQuestionKey
// names another field of t is nested in that field's relatedQuestions. A
// field on a cycle of parents is served at the top level, so that none is
// lost.
func wireTemplateOf(t vlens.Template) wireTemplate {
	keys := map[string]bool{}
	for _, f := range t.Fields {
		keys[f.Key] = true
	}
	children := map[string][]int{}
	var roots []int
	for i, f := range t.Fields {
		if f.ParentQuestionKey != "" && f.ParentQuestionKey != f.Key && keys[f.ParentQuestionKey] {
			children[f.ParentQuestionKey] = append(children[f.ParentQuestionKey], i)
		} else {
			roots = append(roots, i)
		}
	}
	placed := make([]bool, len(t.Fields))
	var build func(i int) wireTemplateField
	build = func(i int) wireTemplateField {
		placed[i] = true
		f := t.Fields[i]
		w := wireTemplateField{Key: f.Key, Type: f.Type, DisplayText: f.DisplayText, DisplayArText: f.DisplayArText,
			DefaultValue: f.DefaultValue, AvailableValues: append([]string{}, f.AvailableValues...),
			AvailableValuesItems: []valueItem{}, RelatedQuestions: []wireTemplateField{},
			ParentQuestionKey: nonEmpty(f.ParentQuestionKey), ParentQuestionValue: nonEmpty(f.ParentQuestionValue)}
		for j, v := range f.AvailableValues {
			w.AvailableValuesItems = append(w.AvailableValuesItems, valueItem{ID: j + 1, Name: v})
		}
		for _, c := range children[f.Key] {
			if !placed[c] {
				w.RelatedQuestions = append(w.RelatedQuestions, build(c))
			}
		}
		return w
	}
	out := wireTemplate{ID: t.ID, Name: t.Name, RequestsFields: []wireTemplateField{}}
	for _, i := range roots {
		out.RequestsFields = append(out.RequestsFields, build(i))
	}
	for i := range t.Fields { // what no root reaches: fields on a cycle of parents
		if !placed[i] {
			out.RequestsFields = append(out.RequestsFields, build(i))
		}
	}
	return out
}

// nonEmpty is &s, or nil (JSON null) for "".
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
