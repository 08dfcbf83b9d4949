"""One router per resource: users (offers, recommendations, session), offer events, and the
operational endpoints (health, metrics)."""
