// Package mallocstats reports how much memory the C allocator has handed out,
// so that the gst leak tests can tell a C leak from allocator fragmentation
// (which the resident set size cannot).
package mallocstats
