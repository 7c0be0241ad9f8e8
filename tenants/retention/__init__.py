"""Customer retention team: churn, win-back, lifetime value and engagement models."""
