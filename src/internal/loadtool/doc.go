// Package loadtool holds what the project's load tools (cmd/loadtest, cmd/mediaload) share: the frame of their
// main function (Command: flags, logger, signals, exit codes) and the CPU time of a process read from
// /proc/<pid>/task/*/schedstat (ReadCPU), which says both how long the process ran and how long it waited for a
// CPU: on a shared machine, how much of a latency figure is the machine's rather than the program's.
package loadtool
