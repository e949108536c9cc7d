"""DynamoDB on moto: partition-keyed Query, item answers encoded straight to JSON."""
