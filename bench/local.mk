# Benchmarks are built on demand (make bench), never by make check.
