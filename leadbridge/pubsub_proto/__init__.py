"""Salesforce's Pub/Sub API (gRPC service `eventbus.v1.PubSub`): the service definition and the
code generated from it. The subscriber (`leadbridge.salesforce.pubsub`) and the sandbox org's
server (`leadbridge.sandbox.pubsub`) both use it; it imports nothing from leadbridge."""
