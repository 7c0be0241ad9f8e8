"""Supply chain team: demand, inbound volume, lead time and shipment delay forecasts."""
