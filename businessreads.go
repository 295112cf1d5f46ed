package vlens

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// The business-request reads: each is a short method over Client.do. They
// change nothing on Vlens's side, so they are retried on every transient
// failure (retrySafe), and they authenticate as invitations do.

// Paging of ListBusinessRequests.
const (
	defaultPageSize = 100
	// maxPageSize bounds WithPageSize: the platform's usual cap on
	// MaxResultCount, and a bound on one answer's size.
	maxPageSize = 1000
	// maxPageSecrets bounds the personal values of pages already read that
	// the next page's error redaction looks for.
	maxPageSecrets = 512
)

// WithPageSize sets how many business requests ListBusinessRequests asks
// for per page (MaxResultCount): 1 to 1000, 100 by default. Larger pages
// mean fewer requests and larger answers (mind WithMaxResponseBytes). Other
// calls read no pages and ignore it, so it may be given to NewClient.
func WithPageSize(n int) CallOption {
	return callOption(func(s *settings) error {
		if n < 1 || n > maxPageSize {
			return errors.New("vlens: WithPageSize: must be between 1 and 1000")
		}
		s.pageSize = n
		return nil
	})
}

// GetBusinessRequest reads one business request in full, its form fields
// and Raw (the whole data object) included. id must be a UUID (hex digits
// in the 8-4-4-4-12 form, either case); anything else is a
// *ValidationError naming "id", and nothing is sent.
//
// It needs the admin bearer token as CreateInvitation does (a 401 drops it
// and the call is made once more with a new one). A read changes nothing,
// so transport failures and HTTP 429, 500, 502, 503 and 504 are retried,
// honouring Retry-After. An answer whose data is not an object matches
// ErrMalformedResponse; fields the SDK does not know are ignored.
func (c *Client) GetBusinessRequest(ctx context.Context, id string, opts ...CallOption) (*BusinessRequest, error) {
	var w wireRequest
	err := c.do(ctx, operation{
		name: "get business request", method: http.MethodGet, auth: authAdmin, retry: retrySafe,
		path:  GetBusinessRequestPath + url.PathEscape(id),
		input: idInput(id),
		data:  &w,
	}, opts)
	if err != nil {
		return nil, err
	}
	return w.request(), nil
}

// ListBusinessRequests iterates over the tenant's business requests
// (CurrentListIds), a page of WithPageSize at a time, each page asked for
// only when the loop reaches it: breaking out sends nothing more. Each page
// is one call, with the retries, rate limiter and 401 recovery of
// GetBusinessRequest, and ctx is checked between pages.
//
// It stops after totalCount requests, on a page shorter than asked for, or
// on a page that brings no request not already seen. An error (ctx's
// included) is yielded once, as the last pair, with a zero summary. A
// request seen on an earlier page is not yielded again: when the list
// changes while it is read, a request may still be missed, never doubled.
//
// Vlens documents the list as the tenant's requests; that the admin bearer
// makes it the whole tenant's is what its polling advice implies, not what
// it documents.
func (c *Client) ListBusinessRequests(ctx context.Context, opts ...CallOption) iter.Seq2[BusinessRequestSummary, error] {
	return func(yield func(BusinessRequestSummary, error) bool) {
		size := c.pageSize(opts)
		seen := map[string]bool{}
		var in pageInput
		for skip := 0; ; skip += size {
			if ctx != nil && ctx.Err() != nil {
				yield(BusinessRequestSummary{}, fmt.Errorf("vlens: list business requests: %w", ctx.Err()))
				return
			}
			page, err := c.listPage(ctx, skip, size, in, opts)
			if err != nil {
				yield(BusinessRequestSummary{}, err)
				return
			}
			fresh := 0
			for _, w := range page.Data {
				s := w.summary()
				if seen[s.ID] {
					continue
				}
				seen[s.ID], fresh = true, fresh+1
				in = in.with(s.FullName, s.IDNumber)
				if !yield(s, nil) {
					return
				}
			}
			if fresh == 0 || page.last(skip, size) {
				return
			}
		}
	}
}

// GetTemplate reads a contract type's form: the field keys and allowed
// values CreateInvitationInput.RequestFieldsValues uses (see CheckAgainst).
// It asks with isLocalized=false, so that each field comes with both its
// English and its Arabic text. Fields that depend on another's answer
// (relatedQuestions) are flattened into Fields right after the field they
// depend on, with ParentQuestionKey naming it. contractTypeID must be
// positive. Retries and authentication are those of GetBusinessRequest.
func (c *Client) GetTemplate(ctx context.Context, contractTypeID int, opts ...CallOption) (*Template, error) {
	var w wireTemplate
	err := c.do(ctx, operation{
		name: "get template", method: http.MethodGet, auth: authAdmin, retry: retrySafe,
		path:  GetTemplatePath,
		query: url.Values{"requestTypeId": {strconv.Itoa(contractTypeID)}, "isLocalized": {"false"}},
		input: templateInput(contractTypeID),
		data:  &w,
	}, opts)
	if err != nil {
		return nil, err
	}
	return w.template(), nil
}

// listPage reads the page of CurrentListIds that starts at skip; in
// carries the personal values of the pages already read.
func (c *Client) listPage(ctx context.Context, skip, size int, in pageInput, opts []CallOption) (*wirePage, error) {
	var page wirePage
	err := c.do(ctx, operation{
		name: "list business requests", method: http.MethodGet, auth: authAdmin, retry: retrySafe,
		path:  ListBusinessRequestsPath,
		query: url.Values{"MaxResultCount": {strconv.Itoa(size)}, "SkipCount": {strconv.Itoa(skip)}},
		input: in,
		data:  &page,
	}, opts)
	return &page, err
}

// pageSize is the page size opts and the client's settings give.
func (c *Client) pageSize(opts []CallOption) int {
	var s settings
	if c != nil {
		s = c.settings
	}
	_ = applyOptions(&s, opts) // a bad option fails the first page's call
	if s.pageSize == 0 {
		return defaultPageSize
	}
	return s.pageSize
}
