package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// cpuTime is how long a process's threads ran on a CPU, and how long they were ready to run but waited for one. On
// a shared machine the wait tells how much of a latency figure is the machine's, not the program's.
type cpuTime struct {
	run, wait time.Duration
}

func (c cpuTime) sub(earlier cpuTime) cpuTime {
	return cpuTime{run: c.run - earlier.run, wait: c.wait - earlier.wait}
}

// readCPU sums /proc/<pid>/task/*/schedstat over the threads of process pid (0: this process). Threads that ended
// between two readings take their time with them: Go seldom ends threads, so the error is small.
func readCPU(pid int) (cpuTime, error) {
	proc := "self"
	if pid != 0 {
		proc = strconv.Itoa(pid)
	}
	files, err := filepath.Glob(filepath.Join("/proc", proc, "task", "*", "schedstat"))
	if err != nil {
		return cpuTime{}, err
	}
	if len(files) == 0 {
		return cpuTime{}, fmt.Errorf("loadtest: no schedstat for process %s (no such process, or no CONFIG_SCHEDSTATS)", proc)
	}
	var sum cpuTime
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue // the thread ended meanwhile
		}
		if err != nil {
			return cpuTime{}, err
		}
		c, err := parseSchedstat(data)
		if err != nil {
			return cpuTime{}, fmt.Errorf("%s: %w", f, err)
		}
		sum.run += c.run
		sum.wait += c.wait
	}
	return sum, nil
}

// parseSchedstat reads a schedstat line: nanoseconds on a CPU, nanoseconds waiting on a run queue, timeslices.
func parseSchedstat(data []byte) (cpuTime, error) {
	fields := bytes.Fields(data)
	if len(fields) != 3 {
		return cpuTime{}, fmt.Errorf("loadtest: schedstat %q: want 3 numbers", data)
	}
	var ns [3]int64
	for i, f := range fields {
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil || n < 0 {
			return cpuTime{}, fmt.Errorf("loadtest: schedstat field %q", f)
		}
		ns[i] = n
	}
	return cpuTime{run: time.Duration(ns[0]), wait: time.Duration(ns[1])}, nil
}
