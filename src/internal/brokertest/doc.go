// Package brokertest is what the tests that need RabbitMQ share, and only tests (src/internal/layers keeps it out
// of product code): the shared broker's URL (URL), names no other run uses (UniqueName), a consumer that collects
// an exchange's messages (Consumer), a TCP proxy that cuts, stalls or slows the link to the broker (Proxy), a
// RabbitMQ node of one test's own that it may stop and start (PrivateBroker), and the bus publisher's test set-up
// (PublisherOptions, NewPublisher, WaitStats) with the comparison of published and delivered event sequences.
//
// The tests fail rather than skip when no broker answers: a missing broker is never mistaken for a pass.
package brokertest
