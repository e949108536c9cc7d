"""IAM on moto: what each service's call asks, the decision, and its enforcement in front of
moto."""
