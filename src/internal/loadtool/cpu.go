package loadtool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// CPUTime is how long a process's threads ran on a CPU, and how long they were ready to run but waited for one.
type CPUTime struct {
	Run, Wait time.Duration
}

// Sub returns the CPU time spent since earlier, a reading of the same process.
func (c CPUTime) Sub(earlier CPUTime) CPUTime {
	return CPUTime{Run: c.Run - earlier.Run, Wait: c.Wait - earlier.Wait}
}

// ReadCPU sums /proc/<pid>/task/*/schedstat over the threads of process pid (0: this process). A thread that ends
// between two readings takes its time with it; Go seldom ends threads, so the error is small.
func ReadCPU(pid int) (CPUTime, error) {
	if pid < 0 {
		return CPUTime{}, fmt.Errorf("pid %d: not a process id", pid)
	}
	proc := "self"
	if pid != 0 {
		proc = strconv.Itoa(pid)
	}
	files, err := filepath.Glob(filepath.Join("/proc", proc, "task", "*", "schedstat"))
	if err != nil {
		return CPUTime{}, err
	}
	if len(files) == 0 {
		return CPUTime{}, fmt.Errorf("no schedstat for process %s (gone, or a kernel without CONFIG_SCHEDSTATS)", proc)
	}
	var sum CPUTime
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue // the thread ended meanwhile
		}
		if err != nil {
			return CPUTime{}, err
		}
		c, err := parseSchedstat(data)
		if err != nil {
			return CPUTime{}, fmt.Errorf("%s: %w", f, err)
		}
		sum.Run += c.Run
		sum.Wait += c.Wait
	}
	return sum, nil
}

// parseSchedstat reads a schedstat line: nanoseconds on a CPU, nanoseconds waiting on a run queue, timeslices.
func parseSchedstat(data []byte) (CPUTime, error) {
	fields := bytes.Fields(data)
	if len(fields) != 3 {
		return CPUTime{}, fmt.Errorf("schedstat %q: want 3 numbers", data)
	}
	var ns [3]int64
	for i, f := range fields {
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil || n < 0 {
			return CPUTime{}, fmt.Errorf("schedstat field %q: not a count of nanoseconds", f)
		}
		ns[i] = n
	}
	return CPUTime{Run: time.Duration(ns[0]), Wait: time.Duration(ns[1])}, nil
}
