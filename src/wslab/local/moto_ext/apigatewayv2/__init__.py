"""API Gateway v2 on moto: local endpoints, deployments, UpdateStage, account settings."""
