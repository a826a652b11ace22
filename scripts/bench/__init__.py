"""moon's benchmarks: each module measures one thing and returns figures against their limits."""
