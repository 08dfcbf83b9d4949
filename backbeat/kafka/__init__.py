"""Kafka helpers shared by the simulator, the dataflows and the local stack."""
