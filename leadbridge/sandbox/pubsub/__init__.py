"""Change Data Capture over the Pub/Sub API (gRPC + Avro) for the sandbox org.

`capture` records change events in the saving transaction, `log` keeps them (72 hours on the
org clock), `layout` shapes them as Avro, `service` serves `eventbus.v1.PubSub` over TLS.
"""
