// Package config loads the server's configuration from environment variables into a validated Config.
//
// Every variable is documented in docs/OPERATIONS.md. An invalid value is an error that names the variable, so the
// server refuses to start instead of running with a surprise. With neither JWT_SECRET nor JWT_PUBLIC_KEY_FILE set the
// server runs in dev mode (see Config.DevMode); Load refuses dev mode combined with settings that only make sense in
// production.
package config
