"""Lambda on moto: running the deployed code, Lambda's limits, the runtime deprecation schedule."""
