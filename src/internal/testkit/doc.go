// Package testkit is what the module's tests share, and only its tests: a package's _test.go files may import it,
// its product code may not (src/internal/layers enforces both).
//
// WaitFor and Eventually wait on a condition with a deadline instead of sleeping and hoping: a test states what it
// waits for, and fails with that name when the deadline passes. Patient is the deadline for anything that involves
// processes, sockets, cgo or a broker: generous, because a busy 2-core machine must still pass.
//
// Client is a websocket client of the server's API (frames {"a","s","d","e"}): a goroutine reads every frame, so a
// test can wait for the message it wants and keep the others for later. Its methods return errors rather than
// failing a test, so that worker goroutines can use it too.
package testkit
