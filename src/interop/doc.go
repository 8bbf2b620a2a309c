// Package interop holds tests that check live-webrtcsignaling against an independent WebRTC implementation (pion).
// It is a module of its own so that pion stays a test dependency and the product's go.mod stays minimal.
package interop
