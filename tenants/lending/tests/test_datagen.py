"""Lending's credit data under the platform's tenant checks (modelfleet.testing.tenant_data).

Our drift is a downturn: incomes stall, indebtedness and utilisation rise,
and defaults follow them more closely. The application-default model's
debt-to-income mean rule is the alarm that must fire.
"""

from modelfleet.testing.tenant_data import TenantDataTests

from lending import datagen


class TestLendingData(TenantDataTests):
    team = "lending"
    datagen = datagen
    drifting = {
        "loan_applications": "debt_to_income",  # borrowers carry more debt
        "loan_performance": "utilization",  # credit lines are drawn harder
        "defaulted_loans": "credit_score_at_default",  # defaulters' scores fall further
        "loan_book": "income_growth_12m",  # incomes stall
        "collections": "payment_ratio_90d",  # late payers pay less of what is due
    }
    drift_alarms = {"loan_applications": "debt_to_income"}
