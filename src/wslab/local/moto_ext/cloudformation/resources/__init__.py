"""CloudFormation resource types, one module per AWS service, that moto lacks or models short."""
