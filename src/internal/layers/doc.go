// Package layers holds no code: its test enforces the direction of imports that docs/ARCHITECTURE.md states, over
// every package of the module (src and cgo), for product code and for tests separately. A new package fails the
// test until it is placed in one of its layers.
package layers
