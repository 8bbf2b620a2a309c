package transcode

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the benchmarks' helper processes when the binary is started as one of them (startFeeder,
// startReceiverProcess).
func TestMain(m *testing.M) {
	for env, run := range map[string]func(string) error{feederEnv: runFeeder, receiverEnv: runReceiver} {
		if value := os.Getenv(env); value != "" {
			if err := run(value); err != nil {
				fmt.Fprintln(os.Stderr, env, err)
				os.Exit(1)
			}
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}
