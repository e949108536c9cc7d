"""moto itself, hosted: the process-wide host, the in-process server app, its lookups, and the
control plane the gateway and the runtime read."""
