"""Idempotency-Key for the JSON API's POSTs: a client that retries a request (a timeout, a
lost connection, a double send) gets the first answer again instead of a second write.
See middleware.py for the rules."""
