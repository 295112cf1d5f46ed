module github.com/vlens-go/vlens/examples/redislimiter

go 1.26.0

require (
	github.com/go-redis/redis_rate/v10 v10.0.1
	github.com/redis/go-redis/v9 v9.23.0
	github.com/vlens-go/vlens v0.0.0-00010101000000-000000000000
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/time v0.10.0 // indirect
)

// This module is built and tested against the SDK in this checkout
// (./scripts/test tests every module so). It is for copying, not importing:
// no version of it or of the SDK is published, and an importer's build
// ignores this replace.
replace github.com/vlens-go/vlens => ../..
