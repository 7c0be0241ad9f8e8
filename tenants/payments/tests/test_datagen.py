"""The payments team's generators against its own model specs.

The checks are the platform's (modelfleet.testing.tenant_data: determinism,
spec columns, clean data passing and spoiled data breaking the specs' rules
in the platform's own validation, drift, learnable labels). What is ours:
where a shifting fraud ring shows in the data, and which rule must notice.
"""

from modelfleet.testing.tenant_data import TenantDataTests

from payments import datagen


class TestPaymentsData(TenantDataTests):
    team = "payments"
    datagen = datagen
    drifting = {
        "card_transactions": "amount",  # fraudsters move to larger tickets far from home
        "merchant_daily": "refund_rate",  # refunds climb at merchants the ring abuses
        "login_events": "ip_risk_score",  # takeovers come from riskier networks
    }
    drift_alarms = {"card_transactions": "amount"}
