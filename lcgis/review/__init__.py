"""The committee's review store: users, reviews, the sealed chain, saved plans, exports."""
