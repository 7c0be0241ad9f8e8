"""GPU capacity, pools and priorities: how pipelines share scarce devices."""
