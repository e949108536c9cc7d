"""wslab's own Python runtime client: the Lambda Runtime API spoken as awslambdaric speaks it.

AWS's runtime interface client (awslambdaric) publishes wheels for Linux only, so on macOS
and Windows Python functions run on this one instead (:mod:`.choice` picks). It uses the
standard library only and reproduces what a handler can observe of awslambdaric: how the
handler is loaded and its errors, the context object, the logging set-up, how events and
results are (un)marshalled, and the error JSON and log lines of a failed invocation
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html,
https://docs.aws.amazon.com/lambda/latest/dg/python-context.html).

Importing this package is cheap (:mod:`.choice` is read by ``wslab doctor``); the client
itself is :func:`.loop.run`.
"""
