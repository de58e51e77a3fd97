"""The HTTP edge shared by every service: token verification and revocation,
the request guard, the problem mapping, Idempotency-Key, recorded refusals."""
