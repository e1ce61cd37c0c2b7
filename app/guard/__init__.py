"""The calibrated density guard: kNN-distance out-of-scope detection with a conformal threshold,
and the output fence. See ``docs/abstention.md`` for the method and its evaluation."""
