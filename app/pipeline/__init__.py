"""The turn pipeline: extract, remember, guard, retrieve, rank, respond, log."""
