package main

import (
	"flag"
	"fmt"
	"io"

	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
)

// usersHeader heads the file `natsd users` prints.
const usersHeader = `kaoping's NATS users and what each may publish and subscribe to: one per
service and one per source of the registry (pkg/stream/users.go says why each
subject is there). Generated; do not edit. Regenerate after a change of the
registry:

  natsd users --sources deploy/local/sources.yaml > deploy/nats/users.conf

Each password is read from the environment variable named beside it when the
server loads this file (the password, or its bcrypt hash); a missing one stops
the server. Clients connect with their user name and the inbox prefix
_INBOX_<user> (stream.ClientOptions).`

// runUsers is `natsd users --sources FILE`: it prints the authorization block
// of a nats-server configuration for the registry's sources and kaoping's
// services.
func runUsers(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("natsd users", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var path string
	fs.StringVar(&path, "sources", "", "source registry (YAML); required")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("natsd users: unexpected argument %q", fs.Arg(0))
	}
	text, err := usersConfig(path)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, text)
	return err
}

// usersConfig renders the users of the registry at path.
func usersConfig(path string) (string, error) {
	reg, err := sources.Load(path)
	if err != nil {
		return "", err
	}
	users, err := stream.Users(reg.Names())
	if err != nil {
		return "", err
	}
	return stream.AuthorizationConfig(users, usersHeader), nil
}
