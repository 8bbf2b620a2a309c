package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// readRSS returns the resident set size of process pid, from /proc/<pid>/status.
func readRSS(pid int) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(status)
}

var errNoVmRSS = errors.New("loadtest: no VmRSS line in the process status")

// parseVmRSS reads the "VmRSS:   1234 kB" line of a /proc/<pid>/status file, in bytes.
func parseVmRSS(status []byte) (int64, error) {
	lines := bufio.NewScanner(bytes.NewReader(status))
	for lines.Scan() {
		value, ok := bytes.CutPrefix(lines.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(value)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			return 0, fmt.Errorf("loadtest: VmRSS line %q: want <number> kB", lines.Bytes())
		}
		kib, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil || kib < 0 || kib > 1<<43 {
			return 0, fmt.Errorf("loadtest: VmRSS value %q", fields[0])
		}
		return kib << 10, nil
	}
	if err := lines.Err(); err != nil {
		return 0, err
	}
	return 0, errNoVmRSS
}
