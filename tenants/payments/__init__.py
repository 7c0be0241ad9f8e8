"""Payments risk team: card fraud, account takeover and merchant risk models."""
