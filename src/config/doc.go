// Package config loads the server's configuration from environment variables into a validated Config:
//
//	cfg, err := config.Load(os.LookupEnv) // the error names every bad variable
//
// Every variable is documented in docs/OPERATIONS.md, and its default is package defaults'. An invalid value is an
// error, so the server refuses to start instead of running with a surprise. With neither JWT_SECRET nor
// JWT_PUBLIC_KEY_FILE set the server runs in dev mode (see Config.DevMode); Load refuses dev mode combined with
// settings that only make sense in production. Secrets (Secret) never print.
package config
