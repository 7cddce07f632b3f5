// Each class starts real processes (PostgreSQL, the control plane, agents, engines) on a small box: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
