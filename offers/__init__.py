"""Real-time offers and recommendations: rules, features, the recommender and their Redis store.

Pure logic (features, sessionizer, rules, engine, recommender) is apart from I/O (store);
the sessions dataflow (dataflows/sessions.py) feeds them, the API and `backbeat offers` read.
"""
