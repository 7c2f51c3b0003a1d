"""Outgoing webhooks (Standard Webhooks): what a delivery says (payloads), how it is signed
(signing), where it may go (targets), and the dispatcher that sends the outbox."""
