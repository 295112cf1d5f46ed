// Package webhook receives Vlens's webhooks (App.BusinessRequestStatusChange)
// safely, although Vlens does not sign them, and processes each event once.
package webhook
