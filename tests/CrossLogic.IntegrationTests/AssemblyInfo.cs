// These tests start real processes (PostgreSQL, control plane, agents, engines) on a 2-core box: one at a time keeps
// their timings meaningful.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
