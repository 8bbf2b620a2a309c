package loadtool

import (
	"testing"
	"time"
)

func TestParseSchedstat(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    CPUTime
		wantErr bool
	}{
		{in: "195740855 6145452937 783\n", want: CPUTime{Run: 195740855, Wait: 6145452937}},
		{in: "0 0 0", want: CPUTime{}},
		{in: "9223372036854775807 1 1", want: CPUTime{Run: 9223372036854775807, Wait: 1}},
		{in: "", wantErr: true},
		{in: "1 2", wantErr: true},
		{in: "1 2 3 4", wantErr: true},
		{in: "-1 2 3", wantErr: true},
		{in: "1 -2 3", wantErr: true},
		{in: "1 x 3", wantErr: true},
		{in: "99999999999999999999 2 3", wantErr: true},
	} {
		got, err := parseSchedstat([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseSchedstat(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestReadCPUOfThisProcess(t *testing.T) {
	before, err := ReadCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
	}
	after, err := ReadCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	if d := after.Sub(before); d.Run <= 0 || d.Wait < 0 {
		t.Errorf("50 ms of spinning measured as %+v", d)
	}
}

func TestReadCPURefusesBadProcesses(t *testing.T) {
	for _, pid := range []int{-1, 1 << 30} {
		if c, err := ReadCPU(pid); err == nil {
			t.Errorf("ReadCPU(%d) = %+v, no error", pid, c)
		}
	}
}

func FuzzParseSchedstat(f *testing.F) {
	for _, seed := range []string{"195740855 6145452937 783\n", "0 0 0", "9223372036854775807 1 1", "1 -2 3", ""} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseSchedstat(data)
		if err == nil && (c.Run < 0 || c.Wait < 0) {
			t.Errorf("parseSchedstat(%q) = %+v: negative time", data, c)
		}
	})
}
