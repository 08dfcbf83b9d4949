"""Offer engine, recommender, Redis store and the offer lookup API."""
