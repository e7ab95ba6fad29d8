package stream

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nats-io/nats.go"
)

// The NATS users of kaoping (deploy/nats/): one per service and one per
// source, each allowed what its work needs and nothing else. Anything a user
// is not allowed is refused by the server. The lists are written here, beside
// the subjects they name, and rendered as a nats-server configuration by
// AuthorizationConfig (`natsd users --sources FILE` prints it for a
// registry).
//
// What they guarantee:
//   - a source may publish only on kaoping.events.<its name>[.…], and ask for
//     the events stream's info (the official CloudEvents JetStream sender
//     does); it may read nothing but the replies to its own requests, on its
//     own inbox prefix _INBOX_<name>: not the stream, not a consumer, not
//     another client's replies;
//   - only ingest may publish on kaoping.ingest.>, so the aggregator need not
//     check those events again;
//   - only the aggregator consumes the events stream through the durable
//     consumer; ingest reads back only kaoping.ingest.> (its duplicate
//     memory); the scorer reads only the stream's and the consumer's info (the
//     read barrier); nobody else reads the stream.
//
// Every service and source uses an inbox prefix of its own (InboxPrefix):
// JetStream delivers a pull consumer's messages to the puller's inbox, so an
// inbox others could subscribe to would hand them the events.

// Names of kaoping's service users.
const (
	UserNatsd      = "natsd"
	UserIngest     = "ingest"
	UserAggregator = "aggregator"
	UserScorer     = "scorer"
)

// User is one NATS user and what it may do.
type User struct {
	// Name is the user name; a source's is its registry name.
	Name string
	// About says in a line what the user is for.
	About string
	// PublishAllow and PublishDeny are the subjects it may and may not publish
	// on (requests to the JetStream API included); deny wins.
	PublishAllow, PublishDeny []string
	// SubscribeAllow are the subjects it may subscribe to.
	SubscribeAllow []string
}

// InboxPrefix is the inbox prefix of a user: the replies to its requests, and
// the messages of the consumers it pulls from, come to _INBOX_<user>.…, which
// only it may subscribe to. Clients connect with nats.CustomInboxPrefix of it
// (ClientOptions does).
func InboxPrefix(user string) string { return "_INBOX_" + user }

// PasswordVar is the environment variable a nats-server configured by
// AuthorizationConfig reads a user's password from (the password itself, or
// its bcrypt hash, `nats server passwd`): KAOPING_NATS_PASSWORD_<NAME>, the
// name upper-cased with '-' as '_'.
func PasswordVar(user string) string {
	return "KAOPING_NATS_PASSWORD_" + strings.ToUpper(strings.ReplaceAll(user, "-", "_"))
}

// ClientOptions are the options a client connecting as user needs: its
// credentials and its own inbox prefix. An empty user connects without
// credentials, with the default inbox prefix (the local stack's NATS, which
// has no users).
func ClientOptions(user, password string) []nats.Option {
	if user == "" {
		return nil
	}
	return []nats.Option{nats.UserInfo(user, password), nats.CustomInboxPrefix(InboxPrefix(user))}
}

const jsAPI = "$JS.API."

// declare is what declaring the streams takes (Ensure: update, or create when
// missing, each stream).
func declare() []string {
	var out []string
	for _, s := range []string{EventsStream, DeadLetterStream} {
		out = append(out, jsAPI+"STREAM.CREATE."+s, jsAPI+"STREAM.UPDATE."+s, jsAPI+"STREAM.INFO."+s)
	}
	return out
}

// ServiceUsers are the users of kaoping's services.
func ServiceUsers() []User {
	events := EventsStream
	durable := events + "." + AggregatorConsumer
	return []User{
		{
			Name:           UserNatsd,
			About:          "the local stack's server: declares the streams once it is ready",
			PublishAllow:   declare(),
			SubscribeAllow: []string{InboxPrefix(UserNatsd) + ".>"},
		},
		{
			Name:  UserIngest,
			About: "publishes the events it accepted on kaoping.ingest.<name>; reads them back (its duplicate memory) and checks duplicate acks",
			PublishAllow: append(declare(),
				IngestSubjectPrefix+">",
				jsAPI+"STREAM.MSG.GET."+events,
				// The ordered consumer of kaoping.ingest.>: its create request
				// names the filter, which the server holds it to.
				jsAPI+"CONSUMER.CREATE."+events+".*."+IngestSubjectPrefix+">",
				jsAPI+"CONSUMER.MSG.NEXT."+events+".*",
				jsAPI+"CONSUMER.INFO."+events+".*",
				jsAPI+"CONSUMER.DELETE."+events+".*",
			),
			// The aggregator's durable consumer is not ingest's to pull from,
			// change or delete.
			PublishDeny: []string{
				jsAPI + "CONSUMER.CREATE." + durable + ".>",
				jsAPI + "CONSUMER.MSG.NEXT." + durable,
				jsAPI + "CONSUMER.DELETE." + durable,
			},
			SubscribeAllow: []string{InboxPrefix(UserIngest) + ".>"},
		},
		{
			Name:  UserAggregator,
			About: "consumes the events stream into ClickHouse, dead-letters and replays, rebuilds",
			PublishAllow: append(declare(),
				jsAPI+"CONSUMER.CREATE."+events+".*", // the durable; rebuild's ordered consumer of everything
				jsAPI+"CONSUMER.MSG.NEXT."+events+".*",
				jsAPI+"CONSUMER.INFO."+events+".*",
				jsAPI+"CONSUMER.DELETE."+events+".*",
				"$JS.ACK."+durable+".>",
				jsAPI+"STREAM.MSG.DELETE."+events, // a message refused whole
				jsAPI+"STREAM.MSG.GET."+events,    // a poison's replay reads it whole
				DeadLetterSubjectPrefix+">",
				jsAPI+"STREAM.MSG.GET."+DeadLetterStream,
				jsAPI+"STREAM.MSG.DELETE."+DeadLetterStream,
				EventsSubjectPrefix+">", // a replay goes out on its source's subject
			),
			PublishDeny:    []string{jsAPI + "CONSUMER.DELETE." + durable},
			SubscribeAllow: []string{InboxPrefix(UserAggregator) + ".>"},
		},
		{
			Name:  UserScorer,
			About: "reads the stream's last sequence and the aggregator's ack floor (the read barrier)",
			PublishAllow: append(declare(),
				jsAPI+"CONSUMER.INFO."+durable,
			),
			SubscribeAllow: []string{InboxPrefix(UserScorer) + ".>"},
		},
	}
}

// SourceUser is the user of the source whose registry name is name.
func SourceUser(name string) User {
	return User{
		Name:  name,
		About: "source " + name + ": publishes on " + SourceSubject(name) + "[.…]",
		PublishAllow: []string{
			SourceSubject(name),
			SourceSubject(name) + ".>",
			jsAPI + "STREAM.INFO." + EventsStream,
		},
		SubscribeAllow: []string{InboxPrefix(name) + ".>"},
	}
}

// Users are the service users and one user per source name, sorted by name
// after the services. A source name that is a service's, or whose password
// variable another user has, is an error.
func Users(sourceNames []string) ([]User, error) {
	users := ServiceUsers()
	vars := map[string]string{}
	for _, u := range users {
		vars[PasswordVar(u.Name)] = u.Name
	}
	names := append([]string(nil), sourceNames...)
	sort.Strings(names)
	for _, n := range names {
		if o, ok := OriginOf(SourceSubject(n)); !ok || o.Name != n {
			return nil, fmt.Errorf("source name %q is not a subject token", n)
		}
		if other, taken := vars[PasswordVar(n)]; taken {
			return nil, fmt.Errorf("source name %q would be the NATS user of %q (or share its password variable %s); rename the source", n, other, PasswordVar(n))
		}
		vars[PasswordVar(n)] = n
		users = append(users, SourceUser(n))
	}
	return users, nil
}

// AuthorizationConfig renders users as the authorization block of a
// nats-server configuration file. Passwords are not in it: each is read from
// the environment variable PasswordVar(user) when the server loads the file,
// and a missing one stops the server.
func AuthorizationConfig(users []User, header string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(header), "\n") {
		b.WriteString(strings.TrimSpace("# "+line) + "\n")
	}
	b.WriteString("authorization {\n  users = [\n")
	for _, u := range users {
		fmt.Fprintf(&b, "    # %s\n", u.About)
		fmt.Fprintf(&b, "    {\n      user: %q\n      password: $%s\n      permissions: {\n", u.Name, PasswordVar(u.Name))
		fmt.Fprintf(&b, "        publish: {\n          allow: %s\n", list(u.PublishAllow))
		if len(u.PublishDeny) > 0 {
			fmt.Fprintf(&b, "          deny: %s\n", list(u.PublishDeny))
		}
		fmt.Fprintf(&b, "        }\n        subscribe: {\n          allow: %s\n        }\n      }\n    }\n", list(u.SubscribeAllow))
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

// list renders subjects as a configuration array, one per line, quoted (a
// subject may start with $, which unquoted is a variable).
func list(subjects []string) string {
	var b strings.Builder
	b.WriteString("[\n")
	for _, s := range subjects {
		fmt.Fprintf(&b, "            %q\n", s)
	}
	b.WriteString("          ]")
	return b.String()
}
