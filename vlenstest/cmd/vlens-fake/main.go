// Command vlens-fake serves the vlenstest fake Vlens API on a fixed address,
// for front-end developers and manual testing:
//
//	go install github.com/vlens-go/vlens/vlenstest/cmd/vlens-fake@latest
//	vlens-fake -addr 127.0.0.1:8080
//
// (until the module is published, `go install ./vlenstest/cmd/vlens-fake`
// from a clone of the repository).
//
// It prints the base URL, the API key and the admin login the fake accepts
// (vlenstest.DefaultAdminCredentials(), for CreateInvitation), with curl
// commands to try CreateAuthSession and the invitation flow, and logs one
// line per request (never headers, bodies or tokens). Point a backend at
// it with VLENS_BASE_URL and VLENS_API_KEY, or vlens.WithBaseURL.
//
// Faults are scripted from outside through the fake's control endpoint
// (vlenstest.WithControlEndpoint), unless -control=false. It takes JSON
// only, from loopback host names and origins (or -control-host's names),
// so that no web page can script it:
//
//	curl -X POST http://127.0.0.1:8080/_vlenstest/faults -H 'Content-Type: application/json' -d '[{"status":503},{"drop":true}]'
//	curl -X DELETE http://127.0.0.1:8080/_vlenstest/faults
//	curl http://127.0.0.1:8080/_vlenstest/requests
//
// The same endpoint plays the user who finishes the Vlens iframe, and Vlens
// moving the business request on, for a front end that polls its status:
//
//	curl -X POST http://127.0.0.1:8080/_vlenstest/complete -H 'Content-Type: application/json' -d '{"token":"…","status":1}'
//	curl -X POST http://127.0.0.1:8080/_vlenstest/status -H 'Content-Type: application/json' -d '{"id":"…","status":2}'
//
// Without a "token", complete finishes the newest session not yet
// completed; it answers the new request's "id". The business requests are
// then read as from Vlens, with the API key and an admin bearer token
// (GetBusinessRequestById, CurrentListIds, and the templates of
// vlenstest.WithTemplate, which the command does not seed).
//
// In a container, listen with -addr 0.0.0.0:8080: the banner then says how
// other containers reach it (its -control-host name), and that their client
// needs vlens.WithInsecureHTTP. The Dockerfile beside this file builds the
// command from a checkout; GET /_vlenstest/health is its health check.
//
// With -webhook-url, each status change (complete, status) is POSTed to
// that URL as Vlens's App.BusinessRequestStatusChange webhook, signed with
// -webhook-secret and carrying each -webhook-header ("Name: value") when
// given, and redelivered up to 5 times on a non-2xx answer, as the
// platform does (see vlenstest.WithWebhook). The deliveries are logged and
// listed:
//
//	vlens-fake -webhook-url http://127.0.0.1:3000/vlens/webhook -webhook-secret dev-secret
//	curl http://127.0.0.1:8080/_vlenstest/webhooks
//
// It shuts down cleanly and exits 0 on SIGINT or SIGTERM. Run from `go
// run`'s build directory, it also exits when the process that started it
// (go run) exits: a killed `go run` does not pass SIGTERM on, and would
// otherwise leave the server it built running. Elsewhere it keeps running
// when its parent exits, as a fake started in the background by a script
// must; -exit-with-parent=true or =false decides instead. -h prints the
// usage and exits 0; a bad flag exits 2; a failure to listen exits 1.
package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vlens-go/vlens/vlenstest"
)

func main() {
	// The parent is read before anything else: the later it is read, the
	// likelier a parent that has already exited (and the process that
	// adopted the fake) is taken for the one to watch.
	started := launch{parent: os.Getppid()}
	if exe, err := os.Executable(); err == nil {
		started.goRun = builtByGoRun(exe)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, started, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// launch is how the process was started.
type launch struct {
	// parent is the parent's process ID, read first thing in main.
	parent int
	// goRun reports that the binary runs from go run's build directory.
	goRun bool
}

// builtByGoRun reports whether exe is a binary go run built. go run links
// it into <temp>/go-build<digits>/b001/exe/<name>, and since Go 1.24 runs
// it from the build cache once cached: <GOCACHE>/<xx>/<xx…, 64 hex
// digits>-d/<name>. No installed binary lives in either.
func builtByGoRun(exe string) bool {
	dir := filepath.Dir(exe)
	if filepath.Base(dir) == "exe" && strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build") {
		return true
	}
	id, ok := strings.CutSuffix(filepath.Base(dir), "-d")
	_, err := hex.DecodeString(id)
	return ok && len(id) == 64 && err == nil && filepath.Base(filepath.Dir(dir)) == id[:2]
}

// autoBool is a boolean flag that may be left unset ("auto"), so that the
// command can tell the default from an explicit choice.
type autoBool struct{ set, value bool }

func (b *autoBool) IsBoolFlag() bool { return true }

func (b *autoBool) String() string {
	if b == nil || !b.set {
		return "auto"
	}
	return strconv.FormatBool(b.value)
}

func (b *autoBool) Set(s string) error {
	if s == "auto" {
		*b = autoBool{}
		return nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("must be true, false or auto")
	}
	*b = autoBool{set: true, value: v}
	return nil
}

// usageError is a bad command line, already reported with the usage.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

// exitCode is the exit status for run's error: 0 for none, 2 for a bad
// command line (already reported), 1 for anything else, which it reports.
func exitCode(err error, stderr io.Writer) int {
	var usage *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		return 2
	}
	fmt.Fprintln(stderr, "vlens-fake:", err)
	return 1
}

// parentPollInterval is how often the fake checks that the process that
// started it is still there (-exit-with-parent).
const parentPollInterval = 200 * time.Millisecond

// errParentExited is the cause of the shutdown when the parent went away.
var errParentExited = errors.New("the process that started vlens-fake exited")

// run parses the flags, serves until ctx ends, then closes the server.
func run(ctx context.Context, started launch, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vlens-fake", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on (port 0: any free port); 0.0.0.0:8080 in a container, whose callers then need vlens.WithInsecureHTTP()")
	key := fs.String("key", vlenstest.TestAPIKey, "the only API `key` the fake accepts")
	rate := fs.Float64("rate", 0, "rate limit in requests per second over the Vlens endpoints (0: none)")
	burst := fs.Int("burst", 1, "burst size of the rate limit")
	perMinuteOptions := perMinuteFlag(fs)
	latency := fs.Duration("latency", 0, "`delay` added to every answer, such as 300ms")
	platformOptions := platformFlags(fs)
	webhookOptions := webhookFlags(fs)
	quiet := fs.Bool("quiet", false, "do not log requests")
	control := fs.Bool("control", true, "serve the control endpoint under "+vlenstest.ControlPrefix+" to script faults")
	controlHosts := fs.String("control-host", "", "comma-separated host `names` the control endpoint accepts besides loopback ones, such as a docker-compose service name")
	var exitWithParent autoBool
	fs.Var(&exitWithParent, "exit-with-parent", "shut down when the process that started it exits: true, false, or auto (the default): only when run from go run's build directory, as a killed go run leaves it running otherwise")
	fs.Usage = func() { usage(fs) }

	var parseOut bytes.Buffer
	fs.SetOutput(&parseOut)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return nil
	case err != nil:
		_, _ = stderr.Write(parseOut.Bytes()) // the error and the usage
		return &usageError{err}
	case fs.NArg() > 0:
		return badUsage(fs, fmt.Errorf("unexpected arguments: %q", fs.Args()))
	}
	opts, err := serverOptions(*key, *rate, *burst, *latency)
	if err != nil {
		return badUsage(fs, err)
	}
	platform, err := platformOptions()
	if err != nil {
		return badUsage(fs, err)
	}
	opts = append(opts, platform...)
	webhook, webhookOrigin, err := webhookOptions()
	if err != nil {
		return badUsage(fs, err)
	}
	opts = append(opts, webhook...)
	perMinute, err := perMinuteOptions()
	if err != nil {
		return badUsage(fs, err)
	}
	opts = append(opts, perMinute...)
	var hosts []string
	if *control {
		hosts, err = hostList(*controlHosts)
		if err != nil {
			return badUsage(fs, err)
		}
		opts = append(opts, vlenstest.WithControlEndpoint(hosts...))
	}
	if !*quiet {
		opts = append(opts, vlenstest.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	}

	srv, err := vlenstest.Listen(*addr, opts...)
	if err != nil {
		return err
	}
	defer srv.Close()

	if exitWithParent.value || (!exitWithParent.set && started.goRun) {
		var cancel context.CancelFunc
		ctx, cancel = watchParent(ctx, started.parent, os.Getppid, parentPollInterval)
		defer cancel()
		fmt.Fprintf(stderr, "vlens-fake: exits when its parent (pid %d) does; -exit-with-parent=false keeps it running\n", started.parent)
	}
	base, beyondLoopback := displayURL(srv.URL)
	if beyondLoopback {
		fmt.Fprintln(stdout, reachNote(srv.URL, hosts))
	}
	printBanner(stdout, srv, base, *control, webhookOrigin)
	<-ctx.Done()
	if errors.Is(context.Cause(ctx), errParentExited) {
		fmt.Fprintln(stderr, "vlens-fake:", errParentExited)
	}
	fmt.Fprintln(stdout, "shutting down")
	return nil
}

// badUsage reports err and the usage on the flag set's output (stderr).
func badUsage(fs *flag.FlagSet, err error) error {
	fmt.Fprintln(fs.Output(), "vlens-fake:", err)
	fs.Usage()
	return &usageError{err}
}

// usage prints the command's help on the flag set's output.
func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `Usage: vlens-fake [flags]

vlens-fake serves a fake Vlens API (package vlenstest: CreateAuthSession,
CreateInvitation, Login, RefreshToken, and the business-request reads
GetBusinessRequestById and CurrentListIds) for front-end development. It prints
the base URL, the API key, the admin login and curl commands to try it.

Install:  go install github.com/vlens-go/vlens/vlenstest/cmd/vlens-fake@latest
          (from a clone, until the module is published: go install ./vlenstest/cmd/vlens-fake)

Flags:
`)
	fs.PrintDefaults()
	fmt.Fprintf(w, `
Control endpoint (unless -control=false), on the same address:
  POST   %[1]s    queue faults, e.g. -d '[{"status":503},{"drop":true},{"delay":"2s"},
                                  {"status":200,"code":1050,"message":"user blocked"},{"status":429,"retryAfter":"5s"}]'
  GET    %[1]s    list the queued faults
  DELETE %[1]s    clear them
  GET    %[2]s  list the requests received (no bodies, secrets redacted)
  POST   %[3]s     forget requests, faults, sessions and business requests, refill the rate limit
  POST   %[6]s  finish a session as its user would: -d '{"token":"…","status":1}'
                              (no token: the newest session not yet completed); answers its id
  POST   %[7]s    move a business request on: -d '{"id":"…","status":2}'
  GET    %[8]s    {"status":"ok"}, for a container's health check (not logged)
  GET    %[9]s  list the webhooks delivered to -webhook-url and how each was answered
Statuses: 1 Pending Approval, 2 Approved, 3 Rejected, 4 Customer Signed (a number or a name).
Fault fields: status, code, message, descriptions, rawBody, retryAfter, header, delay, drop, processed, count.
A POST needs -H 'Content-Type: application/json'. Only loopback host names
and origins (and -control-host's names) are answered, so that no web page
can script the fake. At most %[4]d faults are queued and the newest %[5]d
requests listed.

It stops cleanly (exit status 0) on Ctrl-C or SIGTERM. Run by go run, it
also stops when go run exits; elsewhere it outlives the process that
started it unless -exit-with-parent. Exit status 2: bad flags; 1: cannot
listen.
`, vlenstest.ControlFaultsPath, vlenstest.ControlRequestsPath, vlenstest.ControlResetPath,
		vlenstest.MaxQueuedFaults, vlenstest.MaxRecordedRequests, vlenstest.ControlCompletePath, vlenstest.ControlStatusPath,
		vlenstest.ControlHealthPath, vlenstest.ControlWebhooksPath)
}

// hostList splits -control-host's comma-separated names and checks them,
// so that a bad name is an error message rather than the option's panic.
func hostList(names string) ([]string, error) {
	var hosts []string
	for _, h := range strings.Split(names, ",") {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
			continue
		case strings.ContainsAny(h, ":/ \t\r\n\\"):
			return nil, fmt.Errorf("-control-host %q: want host names without ports, separated by commas", h)
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// serverOptions checks the flags, so that a bad value is an error message
// rather than the options' panic.
func serverOptions(key string, rate float64, burst int, latency time.Duration) ([]vlenstest.ServerOption, error) {
	if strings.TrimSpace(key) == "" || strings.ContainsAny(key, "\r\n") {
		return nil, fmt.Errorf("-key must be non-empty and on one line")
	}
	opts := []vlenstest.ServerOption{vlenstest.WithAPIKey(key)}
	if rate < 0 || burst < 1 {
		return nil, fmt.Errorf("-rate must not be negative and -burst must be at least 1")
	}
	if rate > 0 {
		opts = append(opts, vlenstest.WithRateLimit(rate, burst))
	}
	if latency < 0 {
		return nil, fmt.Errorf("-latency must not be negative")
	}
	return append(opts, vlenstest.WithLatency(latency)), nil
}

// watchParent returns a context that is also cancelled, with cause
// errParentExited, once getppid's answer is no longer parent: on Unix a
// process whose parent exits is handed to init (or a subreaper), so its
// parent ID changes. That is how the fake notices a killed `go run`, which
// exits on SIGTERM without passing it on. It checks at once, then every
// interval. Where the parent ID never changes (Windows, or a parent of 1
// already, as PID 1 in a container) it does nothing.
func watchParent(ctx context.Context, parent int, getppid func() int, every time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	if getppid() != parent {
		cancel(errParentExited)
	}
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if getppid() != parent {
					cancel(errParentExited)
					return
				}
			}
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

// displayURL is the base URL to print: base itself, or with 127.0.0.1 for
// an unspecified host (0.0.0.0, [::]), which is no address to call.
// beyondLoopback reports a listener reachable from other hosts.
func displayURL(base string) (display string, beyondLoopback bool) {
	u, err := url.Parse(base)
	if err != nil {
		return base, false
	}
	ip := net.ParseIP(u.Hostname())
	switch {
	case ip == nil || ip.IsLoopback():
		return base, false
	case ip.IsUnspecified():
		u.Host = net.JoinHostPort("127.0.0.1", u.Port())
		return u.String(), true
	}
	return base, true
}

// reachNote tells how other containers or hosts reach a fake listening
// beyond loopback at listen: the base URL to give them (in a container,
// the container's name on their network, which the fake cannot know unless
// -control-host names it), and that their client needs WithInsecureHTTP.
func reachNote(listen string, names []string) string {
	const insecure = "and their vlens client needs vlens.WithInsecureHTTP() for plain http beyond loopback."
	u, err := url.Parse(listen)
	if err != nil {
		return "Listening beyond loopback: " + insecure
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsUnspecified() {
		return "Other hosts call " + listen + ",\n" + insecure
	}
	port := u.Port()
	if len(names) > 0 {
		return "Listening on all interfaces: other containers call http://" + net.JoinHostPort(names[0], port) +
			" (the -control-host name,\nwhich must be this container's name on their network, such as its docker-compose service name),\n" + insecure
	}
	return "Listening on all interfaces: other containers call http://<this container's name on their network>:" + port +
		",\nsuch as its docker-compose service name (http://vlens-fake:" + port + "; add -control-host vlens-fake for its control endpoint),\n" + insecure
}

// printBanner prints what a developer needs to call the fake: the
// environment for a backend, and curl commands with the real address, key
// and admin login filled in. webhook is the origin webhooks go to, or "".
func printBanner(w io.Writer, srv *vlenstest.Server, base string, control bool, webhook string) {
	admin := srv.AdminCredentials() // a fixed, public fake login
	fmt.Fprintf(w, "fake Vlens API listening on %s\n", base)
	fmt.Fprintf(w, "  VLENS_BASE_URL=%s\n  VLENS_API_KEY=%s\n", base, srv.APIKey())
	fmt.Fprintf(w, "  VLENS_ADMIN_TENANCY=%s\n  VLENS_ADMIN_USER=%s\n  VLENS_ADMIN_PASSWORD=%s\n",
		admin.TenancyName, admin.UserNameOrEmailAddress, admin.Password)

	// post is a curl command for path; headers are already shell-quoted.
	post := func(path string, headers []string, body any) string {
		b, _ := json.Marshal(body)
		cmd := "curl -sS -X POST " + shellQuote(base+path) + " -H " + shellQuote("ApiKey: "+srv.APIKey())
		for _, h := range headers {
			cmd += " -H " + h
		}
		return cmd + " -H 'Content-Type: application/json' -d " + shellQuote(string(b))
	}
	session := map[string]string{"phoneNumber": "+201234567890"}
	invitation := map[string]any{"SessionInput": session}
	login := post(vlenstest.LoginPath, []string{shellQuote("TenancyName: " + admin.TenancyName)}, admin)
	accessToken := shellQuote(`s/.*"accessToken":"\([^"]*\)".*/\1/p`)
	fmt.Fprintf(w, "\nA session token (CreateAuthSession):\n  %s\n", post(vlenstest.CreateAuthSessionPath, nil, session))
	fmt.Fprintf(w, "An invitation: log in, then send the login answer's data.accessToken as the bearer token:\n  %s\n  %s\n",
		login, post(vlenstest.CreateInvitationPath, []string{shellQuote("Authorization: Bearer <accessToken from the login answer>")}, invitation))
	fmt.Fprintf(w, "or both at once in a POSIX shell:\n  TOKEN=$(%s | sed -n %s) && %s\n",
		login, accessToken, post(vlenstest.CreateInvitationPath, []string{`"Authorization: Bearer $TOKEN"`}, invitation))
	if control {
		fmt.Fprintf(w, "Script faults for the next requests, list the requests, clear the faults:\n")
		fmt.Fprintf(w, "  curl -sS -X POST %s -H 'Content-Type: application/json' -d '[{\"status\":503},{\"drop\":true},{\"delay\":\"2s\"},{\"status\":200,\"code\":1050,\"message\":\"user blocked\"},{\"status\":429,\"retryAfter\":\"5s\"}]'\n",
			shellQuote(base+vlenstest.ControlFaultsPath))
		fmt.Fprintf(w, "  curl -sS %s\n", shellQuote(base+vlenstest.ControlRequestsPath))
		fmt.Fprintf(w, "  curl -sS -X DELETE %s\n", shellQuote(base+vlenstest.ControlFaultsPath))
		// control is a control POST of body, which is already shell-quoted.
		control := func(path, body string) string {
			return "curl -sS -X POST " + shellQuote(base+path) + " -H 'Content-Type: application/json' -d " + body
		}
		fmt.Fprintf(w, "Finish the newest session as its user would (a business request, pending approval; or name its \"token\"), then approve it:\n")
		fmt.Fprintf(w, "  ID=$(%s | sed -n %s) && %s\n",
			control(vlenstest.ControlCompletePath, `'{"status":1}'`), shellQuote(`s/.*"id":"\([^"]*\)".*/\1/p`),
			control(vlenstest.ControlStatusPath, `'{"id":"'"$ID"'","status":2}'`))
		if webhook != "" {
			fmt.Fprintf(w, "Each status change is POSTed as a webhook to %s; reject that request, then list the deliveries:\n  %s\n  curl -sS %s\n",
				webhook, control(vlenstest.ControlStatusPath, `'{"id":"'"$ID"'","status":3}'`), shellQuote(base+vlenstest.ControlWebhooksPath))
		}
	}
	list := "curl -sS " + shellQuote(base+vlenstest.ListBusinessRequestsPath+"?MaxResultCount=10&SkipCount=0") +
		" -H " + shellQuote("ApiKey: "+srv.APIKey()) + ` -H "Authorization: Bearer $TOKEN"`
	fmt.Fprintf(w, "The business requests, newest first (GetBusinessRequestById and GetBusinessRequestTypeTemplateFields take the same headers):\n  TOKEN=$(%s | sed -n %s) && %s\n",
		login, accessToken, list)
	fmt.Fprintf(w, "Stop with Ctrl-C.\n")
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
