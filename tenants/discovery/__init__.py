"""Discovery team: feed, search and related-item rankers and ad click-through models."""
