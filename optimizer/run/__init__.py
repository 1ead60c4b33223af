"""Running many independent solves: executors (local processes or Ray), many batches
(``solve-many``) and planners' sweeps (scenario × day)."""
