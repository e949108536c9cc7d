"""Local Lambda execution environments running AWS's runtime interface client."""
