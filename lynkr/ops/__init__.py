"""Running the proxy in production: metrics, the dashboard, access control, load shedding,
rate limits, hot reload and secret redaction. Everything here sits at the HTTP edge; the
request flow itself (``lynkr.pipeline``) knows nothing of it."""
