"""fleet: drive the cannonball binary on a Ray cluster (verify, positions, sweep)."""
