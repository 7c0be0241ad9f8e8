"""Discovery's rankers' data, checked by the platform's tenant checks (modelfleet.testing.tenant_data).

Drift in our impressions: popular items get more popular, co-views and
click-through rates rise; the feed's popularity-mean rule is our alarm.
Ranking frames hold whole query groups, which the shared learnability
check holds out by group (NDCG against a random order).
"""

from modelfleet.testing.tenant_data import TenantDataTests

from discovery import datagen


class TestDiscoveryData(TenantDataTests):
    team = "discovery"
    datagen = datagen
    drifting = {
        "feed_impressions": "item_popularity",  # popular items get more popular
        "item_pairs": "co_view_rate",  # more co-views per pair
        "search_impressions": "doc_ctr_30d",  # documents' click-through rises
        "ad_impressions": "ad_ctr_7d",  # ads' click-through rises with mobile traffic
    }
    drift_alarms = {"feed_impressions": "item_popularity"}
