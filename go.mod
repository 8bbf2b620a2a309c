module github.com/heytribe/live-webrtcsignaling

go 1.26

require (
	github.com/gorilla/websocket v1.5.3
	github.com/rabbitmq/amqp091-go v1.16.0
)
