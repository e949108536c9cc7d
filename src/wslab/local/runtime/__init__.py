"""Local Lambda execution environments: awslambdaric for Python, a Runtime API bootstrap on
node for Node.js (``runtimes.py`` chooses by the function's ``Runtime``)."""
