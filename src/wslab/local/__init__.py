"""The local AWS: moto, extended with what the tutorial needs, on one loopback port."""
