package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"github.com/vlens-go/vlens/vlenstest"
)

// webhookFlags defines the flags that make the fake deliver webhooks
// (vlenstest.WithWebhook), and returns a function that turns their parsed
// values into server options, or an error naming the flag, and the origin
// of the webhook URL to print ("" without one): its path and query may
// carry a secret.
func webhookFlags(fs *flag.FlagSet) func() ([]vlenstest.ServerOption, string, error) {
	target := fs.String("webhook-url", "", "POST an App.BusinessRequestStatusChange webhook to this `URL` whenever a business request's status changes")
	secret := fs.String("webhook-secret", "", "sign the webhooks with this `secret` (header "+vlenstest.WebhookSignatureHeader+": sha256=<hex>)")
	var headers []vlenstest.WebhookOption
	fs.Func("webhook-header", "add a header to the webhooks, given as `'Name: value'`; may be repeated", func(s string) error {
		name, value, ok := strings.Cut(s, ":")
		if !ok {
			return errors.New(`want "Name: value"`)
		}
		opt, err := option(func() vlenstest.WebhookOption {
			return vlenstest.WebhookHeader(strings.TrimSpace(name), strings.TrimSpace(value))
		})
		if err != nil {
			return err
		}
		headers = append(headers, opt)
		return nil
	})
	return func() ([]vlenstest.ServerOption, string, error) {
		if *target == "" {
			if *secret != "" || len(headers) > 0 {
				return nil, "", errors.New("-webhook-secret and -webhook-header need -webhook-url")
			}
			return nil, "", nil
		}
		opts := headers
		if *secret != "" {
			opts = append(opts, vlenstest.WebhookSecret(*secret))
		}
		opt, err := option(func() vlenstest.ServerOption { return vlenstest.WithWebhook(*target, opts...) })
		if err != nil {
			return nil, "", fmt.Errorf("-webhook-url: %w", err)
		}
		u, _ := url.Parse(*target) // WithWebhook parsed it
		return []vlenstest.ServerOption{opt}, u.Scheme + "://" + u.Host, nil
	}
}

// option returns make's option, or its panic as an error, so that the
// options stay the one owner of their rules.
func option[T any](make func() T) (opt T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return make(), nil
}
