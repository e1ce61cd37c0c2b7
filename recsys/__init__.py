"""The in-house recommender: LightGBM learning-to-rank over hybrid-retrieval candidates, and
cross-sell ("complete the look", "often bought together") over the co-purchase graph and the
merchandising links. See ``docs/recommender.md``."""
