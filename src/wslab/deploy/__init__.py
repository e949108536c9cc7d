"""Deploying the chat: the project's files, packaging, the CloudFormation stack, tokens for its
authorizer, and wiring an API by hand for tests and benchmarks."""
