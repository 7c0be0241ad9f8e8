"""Checks of the retention team's subscriber data: the platform's, with our knobs.

A competitor's launch is our drift: engagement falls (logins, e-mails opened,
session length) while usage per customer grows, and the churn models'
login-mean rule is the one that must notice it. Everything else is checked
the same way for every team (modelfleet.testing.tenant_data).
"""

from modelfleet.testing.tenant_data import TenantDataTests

from retention import datagen


class TestRetentionData(TenantDataTests):
    team = "retention"
    datagen = datagen
    drifting = {
        "subscribers": "logins_30d",  # customers log in less
        "lapsed_customers": "emails_opened_30d",  # win-back e-mails go unread
        "customer_value": "avg_monthly_usage_gb",  # those who stay use more
        "app_activity": "avg_session_minutes",  # sessions get shorter
    }
    drift_alarms = {"subscribers": "logins_30d"}
