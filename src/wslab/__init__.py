"""wslab: real-time messaging on API Gateway WebSocket APIs, Lambda and DynamoDB, run locally."""

__all__ = ["__version__"]

__version__ = "0.1.0"
